"""`buckle mcp` driven by the official MCP Python SDK (PyPI `mcp`, pinned by
scripts/test), on a built catalog: the handshake, tools/list, every tool, each answer
compared with what `buckle`'s own command prints with --json, and the refusals.

Run by crates/cli/tests/it/mcp.rs:
    client.py BUCKLE ROOT
with the working directory ROOT (the catalog: catalog/*.toml, out/, release.pub) and
BUCKLE_CACHE set. Exits non-zero, naming the check, on the first difference.
"""

import asyncio
import datetime
import json
import os
import subprocess
import sys

import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

BUCKLE, ROOT = sys.argv[1], os.path.realpath(sys.argv[2])
EXPECTED_TOOLS = {
    "list_images", "image_details", "packages", "vulnerabilities", "attestations",
    "why", "compare", "check", "advisories_since",
}
checks = []


def cli(*args):
    """What `buckle ARGS --json` prints (whatever its exit code: check's gate may fail)."""
    run = subprocess.run([BUCKLE, *args, "--json"], cwd=ROOT, capture_output=True, text=True)
    assert run.stdout.strip(), f"buckle {' '.join(args)} printed nothing: {run.stderr}"
    return json.loads(run.stdout)


def at(name):
    return os.path.join(ROOT, name)


def same(what, got, expected):
    if got != expected:
        raise AssertionError(f"{what}: MCP and CLI differ\nMCP: {json.dumps(got, indent=1)[:3000]}\n"
                             f"CLI: {json.dumps(expected, indent=1)[:3000]}")
    checks.append(what)


async def call(client, name, arguments):
    result = await client.call_tool(name, arguments)
    assert not result.is_error, f"{name} {arguments}: {result.content}"
    structured = result.structured_content
    assert structured is not None, f"{name}: no structuredContent"
    text = json.loads(result.content[0].text)
    assert text == structured, f"{name}: the text content is not the structured content"
    return structured


async def refused(client, what, code, request):
    try:
        await client.session.send_request(request, types.EmptyResult)
    except MCPError as error:
        assert error.error.code == code, f"{what}: code {error.error.code}, expected {code}: {error.error.message}"
        checks.append(what)
        return error.error.message
    raise AssertionError(f"{what}: accepted")


def tool_call(name, arguments):
    return types.CallToolRequest(params=types.CallToolRequestParams(name=name, arguments=arguments))


async def main():
    server = StdioServerParameters(command=BUCKLE, args=["mcp", "--root", ROOT], cwd=ROOT, env=dict(os.environ))
    async with Client(server, raise_exceptions=True) as client:
        # A 2026 client probes `server/discover`; the -32601 answer makes it fall back
        # to the handshake, which settles on the newest revision both speak.
        assert client.protocol_version in ("2025-11-25", "2025-06-18"), client.protocol_version
        assert client.server_info.name == "buckle"
        checks.append(f"initialize ({client.protocol_version})")
        await client.send_ping()
        checks.append("ping")

        listed = await client.list_tools()
        names = {tool.name for tool in listed.tools}
        same("tools/list names (no build without --allow-build)", names, EXPECTED_TOOLS)
        for tool in listed.tools:
            assert tool.input_schema["type"] == "object", tool.name
            assert tool.description, tool.name

        images = (await call(client, "list_images", {}))["images"]
        same("list_images names", sorted(i["name"] for i in images), ["foo", "hello", "hello-dev"])
        for image in images:
            inspected = cli("inspect", image["path"])
            digests = {p["architecture"]: p["digest"] for p in image["platforms"]}
            same(f"list_images digest of {image['name']}", digests[inspected["platform"].split("/")[1]],
                 inspected["digest"])

        hello = at("out/hello")
        inspected = cli("inspect", hello)
        cli_packages = [{k: p[k] for k in ("name", "version", "architecture", "source")} for p in inspected["packages"]]
        packages = await call(client, "packages", {"image": "out/hello"})
        same("packages", [{k: p[k] for k in ("name", "version", "architecture", "source")}
                          for p in packages["packages"]], cli_packages)
        assert all(p["license"] for p in packages["packages"])

        details = await call(client, "image_details", {"image": "out/hello"})
        same("image_details packages", [{k: p[k] for k in ("name", "version", "architecture", "source")}
                                        for p in details["packages"]], cli_packages)
        same("image_details digest", details["platforms"][0]["digest"], inspected["digest"])
        same("image_details signed", details["signed"], True)
        scanned = cli("scan", hello, "--show-suppressed")
        assert details["findings"]["state"] == "scanned", details["findings"]
        same("image_details findings", sorted(f["id"] for f in details["findings"]["findings"]),
             sorted(f["id"] for f in scanned["findings"]))
        attached = cli("attestations", hello)
        same("image_details attachments", sorted(a["kind"] for a in details["attachments"]),
             sorted(item["kind"] for image in attached["images"] for item in image["attached"]))

        same("vulnerabilities", await call(client, "vulnerabilities", {"image": "out/hello"}), cli("scan", hello))
        foo = await call(client, "vulnerabilities", {"image": "out/foo", "show_suppressed": True})
        same("vulnerabilities of foo", foo, cli("scan", at("out/foo"), "--show-suppressed"))
        same("attestations", await call(client, "attestations", {"image": "out/hello"}), attached)
        verified = await call(client, "attestations", {"image": "out/hello", "key": "release.pub"})
        same("attestations verified with a key", verified, cli("verify", hello, "--key", at("release.pub")))
        assert verified["passed"] is True
        same("why", await call(client, "why", {"lock": "catalog/hello.lock", "package": "libfoo1"}),
             cli("why", at("catalog/hello.lock"), "libfoo1"))
        same("compare", await call(client, "compare", {"theirs": "out/hello-dev", "ours": "out/hello"}),
             cli("compare", at("out/hello-dev"), hello))
        same("check", await call(client, "check", {"image": "out/hello"}), cli("check", hello))
        today = datetime.datetime.now(datetime.timezone.utc).date()
        for day in ("2000-01-01", (today + datetime.timedelta(days=1)).isoformat()):
            found = await call(client, "advisories_since", {"dir": "out", "since": day})
            same(f"advisories_since {day}", found["advisories"], cli("advisories", at("out"), "--since", day))
        assert any(a["image"] == "foo" for a in
                   (await call(client, "advisories_since", {"dir": "out", "since": "2000-01-01"}))["advisories"])

        message = await refused(client, "a bad argument is an MCP error", -32602,
                                tool_call("check", {"image": "out/hello", "force": True}))
        assert "force" in message, message
        await refused(client, "a missing argument is an MCP error", -32602, tool_call("why", {"lock": "x"}))
        message = await refused(client, "a path outside --root is refused", -32602,
                                tool_call("check", {"image": "../../../etc"}))
        assert "outside" in message, message
        os.symlink("/", at("escape"))
        try:
            message = await refused(client, "a symbolic link out of --root is refused", -32602,
                                    tool_call("packages", {"image": "escape/etc"}))
            assert "outside" in message, message
        finally:
            os.remove(at("escape"))
        await refused(client, "build without --allow-build is refused", -32602,
                      tool_call("build", {"spec": "catalog/hello.toml"}))
        await refused(client, "an unknown method gets -32601", -32601,
                      types.Request[dict, str](method="buckle/unknown", params={}))

        failed = await client.call_tool("packages", {"image": "catalog"})
        assert failed.is_error and "catalog" in failed.content[0].text, failed
        checks.append("a tool that fails says why (isError)")


asyncio.run(main())
for check in checks:
    print(f"ok {check}")
