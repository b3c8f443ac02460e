//! `buckle mcp` on the built catalog, driven by the official MCP Python SDK
//! (crates/mcp/tests/client.py): every tool's answer equals the matching command's
//! `--json` output; bad arguments, paths out of the root and unknown methods are
//! refused with their JSON-RPC codes.

use crate::catalog;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[cfg(feature = "clients")]
#[test]
fn the_official_python_sdk_gets_the_clis_answers_from_every_tool() {
    let f = catalog::built();
    let run = catalog::python()
        .arg(catalog::driver("crates/mcp/tests/client.py"))
        .arg(env!("CARGO_BIN_EXE_buckle"))
        .arg(f.dir.path())
        .current_dir(f.dir.path())
        .env("BUCKLE_CACHE", &f.buckle.cache)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "client.py failed:\n{stdout}\n{stderr}");
    for check in [
        "ok initialize",
        "ok tools/list names",
        "ok vulnerabilities",
        "ok attestations verified with a key",
        "ok why",
        "ok compare",
        "ok check",
        "ok advisories_since 2000-01-01",
        "ok a path outside --root is refused",
        "ok a symbolic link out of --root is refused",
        "ok an unknown method gets -32601",
    ] {
        assert!(stdout.contains(check), "{check} missing:\n{stdout}");
    }
}

/// The two handshake revisions, answered as asked, on the raw stream.
#[test]
fn initialize_answers_each_supported_revision_and_the_newest_otherwise() {
    let f = catalog::built();
    let mut server = Command::new(env!("CARGO_BIN_EXE_buckle"))
        .args(["mcp", "--root"])
        .arg(f.dir.path())
        .env("BUCKLE_CACHE", &f.buckle.cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = server.stdin.take().unwrap();
    let mut output = BufReader::new(server.stdout.take().unwrap());
    for (asked, answered) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2024-01-01", "2025-11-25"),
    ] {
        let request = serde_json::json!({"jsonrpc": "2.0", "id": asked, "method": "initialize",
            "params": {"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
        writeln!(input, "{request}").unwrap();
        let mut line = String::new();
        output.read_line(&mut line).unwrap();
        let reply: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(reply["id"], asked);
        assert_eq!(reply["result"]["protocolVersion"], answered, "{reply}");
        assert_eq!(reply["result"]["capabilities"]["tools"]["listChanged"], false);
    }
    drop(input);
    assert!(server.wait().unwrap().success());
}
