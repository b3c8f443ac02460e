//! An MCP (Model Context Protocol) server on stdio: one JSON-RPC 2.0 message per line,
//! the `initialize` handshake of protocol revisions 2025-06-18 and 2025-11-25, `ping`,
//! `tools/list` and `tools/call`; any other method is answered with -32601 so a newer
//! client falls back instead of waiting.
//!
//! The protocol is small enough to speak directly: the official Rust SDK (`rmcp`)
//! brings an async runtime and some forty crates to answer these few methods on one
//! sequential stream, which would more than double the build time of the `buckle`
//! binary on a two-core machine for no behaviour this loop lacks.
//!
//! The work is the [`Toolbox`]'s; the server checks each call's arguments against the
//! tool's schema, resolves path arguments inside the [`roots::Roots`], and refuses
//! tools that change things unless built with `allow_build`.

pub mod roots;
pub mod tools;

use roots::Roots;
use serde_json::{json, Map, Value};
use std::io::{BufRead, Write};
use tools::Tool;

/// The protocol revisions spoken, newest first.
pub const PROTOCOL_VERSIONS: [&str; 2] = ["2025-11-25", "2025-06-18"];

/// JSON-RPC error codes.
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
}

/// What a tool found: a JSON object, sent as `structuredContent` and, serialized, as
/// the text content.
pub type Answer = Map<String, Value>;

/// Does the tools' work. Path arguments arrive resolved (absolute, inside a root).
pub trait Toolbox {
    /// Runs `tool`; an `Err` is a failure to report to the agent (the image cannot be
    /// read, the feed store is empty), not a protocol error.
    fn call(&self, tool: Tool, arguments: &Map<String, Value>, roots: &Roots) -> Result<Answer, String>;
}

pub struct Server<T> {
    toolbox: T,
    roots: Roots,
    allow_build: bool,
    name: &'static str,
    version: &'static str,
}

impl<T: Toolbox> Server<T> {
    pub fn new(
        toolbox: T,
        roots: Roots,
        allow_build: bool,
        name: &'static str,
        version: &'static str,
    ) -> Self {
        Server {
            toolbox,
            roots,
            allow_build,
            name,
            version,
        }
    }

    /// Reads messages from `input` until it ends, answering each request on `output`.
    pub fn serve(&self, input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
        for line in input.lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            if let Some(reply) = self.handle(&line) {
                let mut bytes = serde_json::to_vec(&reply).unwrap_or_default();
                bytes.push(b'\n');
                output.write_all(&bytes)?;
                output.flush()?;
            }
        }
        Ok(())
    }

    /// The reply to one message, `None` for a notification.
    pub fn handle(&self, line: &str) -> Option<Value> {
        let message: Value = match serde_json::from_str(line) {
            Ok(message) => message,
            Err(e) => return Some(error(Value::Null, code::PARSE_ERROR, &format!("not JSON: {e}"))),
        };
        let id = message.get("id").cloned();
        let Some(method) = message.get("method").and_then(Value::as_str) else {
            // A response to a request this server never sends, or garbage.
            return id.map(|id| error(id, code::INVALID_REQUEST, "a request needs a `method`"));
        };
        let id = id?;
        if message.get("jsonrpc") != Some(&json!("2.0")) {
            return Some(error(id, code::INVALID_REQUEST, "expected \"jsonrpc\": \"2.0\""));
        }
        let params = message.get("params").cloned().unwrap_or(json!({}));
        let result = match method {
            "initialize" => Ok(self.initialize(&params)),
            "ping" => Ok(json!({})),
            "tools/list" => Ok(json!({"tools": self.offered().map(Tool::definition).collect::<Vec<_>>()})),
            "tools/call" => self.call(&params),
            other => Err((code::METHOD_NOT_FOUND, format!("no method `{other}`"))),
        };
        Some(match result {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err((code, message)) => error(id, code, &message),
        })
    }

    fn initialize(&self, params: &Value) -> Value {
        let asked = params.get("protocolVersion").and_then(Value::as_str);
        let version = PROTOCOL_VERSIONS
            .into_iter()
            .find(|v| Some(*v) == asked)
            .unwrap_or(PROTOCOL_VERSIONS[0]);
        json!({
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": false}},
            "serverInfo": {"name": self.name, "title": "buckle image catalog", "version": self.version},
            "instructions": format!(
                "Tools over the hardened OCI images under {}: list them, describe one, its packages, \
        vulnerabilities, attestations, why a package is there, compare, check, advisories. Paths are relative to the first root.",
                self.roots.dirs().iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
        })
    }

    fn offered(&self) -> impl Iterator<Item = Tool> + '_ {
        Tool::ALL
            .into_iter()
            .filter(|tool| self.allow_build || !tool.changes_things())
    }

    fn call(&self, params: &Value) -> Result<Value, (i64, String)> {
        let invalid = |message: String| (code::INVALID_PARAMS, message);
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("tools/call needs the tool's `name`".to_owned()))?;
        let tool =
            Tool::named(name).ok_or_else(|| invalid(format!("no tool `{name}`; tools/list lists them")))?;
        if !self.offered().any(|t| t == tool) {
            return Err(invalid(format!(
                "the tool `{name}` changes files and is offered only when the server runs with --allow-build"
            )));
        }
        let mut arguments = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(arguments)) => arguments.clone(),
            Some(other) => return Err(invalid(format!("`arguments` must be an object, not {other}"))),
        };
        tool.validate(&arguments).map_err(invalid)?;
        for name in tool.path_arguments() {
            if let Some(Value::String(given)) = arguments.get(*name) {
                let resolved = self.roots.resolve(given).map_err(invalid)?;
                arguments.insert((*name).to_owned(), json!(resolved.display().to_string()));
            }
        }
        Ok(match self.toolbox.call(tool, &arguments, &self.roots) {
            Ok(answer) => json!({
                "content": [{"type": "text", "text": serde_json::to_string_pretty(&answer).unwrap_or_default()}],
                "structuredContent": answer,
                "isError": false,
            }),
            Err(message) => json!({"content": [{"type": "text", "text": message}], "isError": true}),
        })
    }
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Toolbox for Echo {
        fn call(&self, tool: Tool, arguments: &Map<String, Value>, _: &Roots) -> Result<Answer, String> {
            let mut answer = arguments.clone();
            answer.insert("tool".into(), json!(tool.name()));
            Ok(answer)
        }
    }

    fn server(allow_build: bool) -> (Server<Echo>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let roots = Roots::new(&[dir.path().to_owned()]).unwrap();
        (Server::new(Echo, roots, allow_build, "buckle", "0"), dir)
    }

    fn ask(server: &Server<Echo>, method: &str, params: Value) -> Value {
        let line = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string();
        server.handle(&line).unwrap()
    }

    #[test]
    fn the_handshake_answers_the_clients_revision_when_spoken_else_the_newest() {
        let (server, _dir) = server(false);
        for (asked, answered) in [
            ("2025-06-18", "2025-06-18"),
            ("2025-11-25", "2025-11-25"),
            ("2099-01-01", "2025-11-25"),
        ] {
            let reply = ask(
                &server,
                "initialize",
                json!({"protocolVersion": asked, "capabilities": {}}),
            );
            assert_eq!(reply["result"]["protocolVersion"], answered);
            assert_eq!(reply["id"], 7);
        }
        let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
        assert_eq!(server.handle(&notification), None);
        assert_eq!(ask(&server, "ping", json!({}))["result"], json!({}));
    }

    #[test]
    fn errors_have_the_json_rpc_codes() {
        let (server, _dir) = server(false);
        assert_eq!(ask(&server, "resources/list", json!({}))["error"]["code"], -32601);
        assert_eq!(server.handle("{not json").unwrap()["error"]["code"], -32700);
        let bad = ask(
            &server,
            "tools/call",
            json!({"name": "check", "arguments": {"image": 3}}),
        );
        assert_eq!(bad["error"]["code"], -32602);
        let outside = ask(
            &server,
            "tools/call",
            json!({"name": "check", "arguments": {"image": "../.."}}),
        );
        assert_eq!(outside["error"]["code"], -32602);
        assert!(outside["error"]["message"].as_str().unwrap().contains("outside"));
        let build = ask(
            &server,
            "tools/call",
            json!({"name": "build", "arguments": {"spec": "out"}}),
        );
        assert_eq!(build["error"]["code"], -32602);
    }

    #[test]
    fn build_is_offered_only_when_allowed_and_paths_arrive_resolved() {
        let (read_only, _dir) = server(false);
        let names = |server: &Server<Echo>| -> Vec<String> {
            ask(server, "tools/list", json!({}))["result"]["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert!(!names(&read_only).contains(&"build".to_owned()));
        let (building, dir) = server(true);
        assert!(names(&building).contains(&"build".to_owned()));
        let reply = ask(
            &building,
            "tools/call",
            json!({"name": "check", "arguments": {"image": "out"}}),
        );
        let resolved = dir.path().canonicalize().unwrap().join("out");
        assert_eq!(
            reply["result"]["structuredContent"]["image"],
            resolved.display().to_string()
        );
        assert_eq!(reply["result"]["isError"], false);
    }
}
