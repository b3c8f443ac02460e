//! The parser agrees with BuildKit's own (the `dockerfile` PyPI package wraps it) on
//! every corpus Dockerfile of crates/migrate/testdata and on variations of them:
//! another escape character, keywords in other cases, continuations with comment and
//! blank lines, extra blanks, CRLF line endings. Compared per instruction: keyword,
//! flags, exec or shell form, values, heredocs and line range; a file one parser
//! rejects the other rejects too.

use buckle_dockerfile::{parse, Arguments, Dockerfile, Instruction};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Reads `[{"name", "text"}]` on stdin; prints, for each, BuildKit's commands or its error.
const BUILDKIT: &str = r#"
import json, sys
import dockerfile
out = []
for item in json.load(sys.stdin):
    try:
        commands = [{
            "cmd": c.cmd.upper(), "sub_cmd": c.sub_cmd.upper() if c.sub_cmd else None, "json": c.json,
            "start_line": c.start_line, "end_line": c.end_line, "flags": list(c.flags),
            "value": list(c.value), "heredocs": [[h.name, h.content] for h in c.heredocs],
        } for c in dockerfile.parse_string(item["text"])]
        out.append({"commands": commands})
    except dockerfile.GoParseError as e:
        out.append({"error": str(e)})
json.dump(out, sys.stdout)
"#;

fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrate/testdata/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the corpus directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "Dockerfile"))
        .map(|path| {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("read"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 12, "the corpus has {} files", files.len());
    files
}

/// Rewrites of a Dockerfile that keep it valid (or make both parsers reject it).
fn variations(name: &str, text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let keyword_case = |f: fn(&str) -> String| -> String {
        lines
            .iter()
            .map(|line| match line.split_once(' ') {
                Some((word, rest)) if word.chars().all(|c| c.is_ascii_uppercase()) => {
                    format!("{} {rest}\n", f(word))
                }
                _ => format!("{line}\n"),
            })
            .collect()
    };
    out.push(("lowercase keywords", keyword_case(|w| w.to_ascii_lowercase())));
    out.push((
        "mixed-case keywords",
        keyword_case(|w| {
            w.chars()
                .enumerate()
                .map(|(i, c)| if i % 2 == 1 { c.to_ascii_lowercase() } else { c })
                .collect()
        }),
    ));
    if !text.starts_with('#') {
        let mut backtick = String::from("# escape=`\n");
        for line in &lines {
            match line.strip_suffix('\\') {
                Some(kept) => backtick.push_str(&format!("{kept}`\n")),
                None => backtick.push_str(&format!("{line}\n")),
            }
        }
        out.push(("escape=` directive", backtick));
    }
    out.push(("CRLF line endings", text.replace('\n', "\r\n")));
    out.push((
        "blanks after continuations and before keywords",
        lines
            .iter()
            .map(|line| {
                if line.ends_with('\\') {
                    format!("\t{line} \t\n")
                } else {
                    format!("  {line}\n")
                }
            })
            .collect(),
    ));
    out.push((
        "&& split into continuations with comment and blank lines",
        text.replace(" && ", " \\\n    # next step\n\n    && "),
    ));
    out.push(("a continuation at the end", format!("{}\\\n", text.trim_end())));
    out.push((
        "flags with quotes",
        text.replace("--from=", "--from=\"")
            .replace("--chown=", "\"--chown\"="),
    ));
    out.push((
        "JSON arrays without spaces and with trailing text",
        text.replace("\", \"", "\",\"").replace("\"]\n", "\"] # x\n"),
    ));
    out.into_iter()
        .map(|(what, text)| (format!("{name} ({what})"), text))
        .collect()
}

fn buildkit(inputs: &[(String, String)]) -> Vec<Value> {
    let request: Vec<Value> = inputs
        .iter()
        .map(|(name, text)| json!({"name": name, "text": text}))
        .collect();
    let mut child = Command::new("python3")
        .args(["-c", BUILDKIT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(&request).expect("json").as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("python3 finishes");
    assert!(
        output.status.success(),
        "BuildKit's parser (PyPI `dockerfile`; scripts/test installs it in target/test-venv): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from the helper")
}

/// BuildKit's flat value list and JSON flag for our arguments.
fn values(arguments: &Arguments) -> (Vec<String>, bool) {
    match arguments {
        Arguments::Empty => (vec![], false),
        Arguments::Exec(items) => (items.clone(), true),
        Arguments::Shell(text) => (vec![text.clone()], false),
        Arguments::Words(words) => (words.clone(), false),
        Arguments::Pairs(pairs) => (
            pairs.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect(),
            false,
        ),
        Arguments::Healthcheck { kind, command } => {
            let (rest, json) = values(command);
            (std::iter::once(kind.clone()).chain(rest).collect(), json)
        }
        Arguments::Onbuild(inner) => values(&inner.arguments),
        Arguments::Unknown(_) => (vec![String::new()], false),
    }
}

fn ours(instruction: &Instruction) -> Value {
    let (value, is_json) = values(&instruction.arguments);
    let (sub_cmd, flags) = match &instruction.arguments {
        Arguments::Onbuild(inner) => (Some(inner.keyword.to_uppercase()), vec![]),
        _ => (None, instruction.flags.clone()),
    };
    json!({
        "cmd": instruction.keyword.to_uppercase(), "sub_cmd": sub_cmd, "json": is_json,
        "start_line": instruction.first_line, "end_line": instruction.last_line, "flags": flags,
        "value": value,
        "heredocs": instruction.heredocs.iter().map(|h| json!([h.name, h.content])).collect::<Vec<_>>(),
    })
}

fn compare(name: &str, text: &str, theirs: &Value) -> Option<String> {
    let mine: Result<Dockerfile, _> = parse(text);
    match (mine, theirs.get("commands")) {
        (Ok(file), Some(commands)) => {
            let mine: Vec<Value> = file.instructions.iter().map(ours).collect();
            let theirs = commands.as_array().expect("list");
            if mine.len() != theirs.len() {
                return Some(format!(
                    "{name}: {} instructions, BuildKit {}",
                    mine.len(),
                    theirs.len()
                ));
            }
            mine.iter()
                .zip(theirs)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("{name}:\n  ours     {a}\n  BuildKit {b}"))
        }
        (Err(_), None) => None,
        (Ok(_), None) => Some(format!(
            "{name}: BuildKit rejects it ({}), we accept it",
            theirs["error"]
        )),
        (Err(e), Some(_)) => Some(format!("{name}: we reject it ({e}), BuildKit accepts it")),
    }
}

#[test]
fn parser_agrees_with_buildkit_on_the_corpus_and_its_variations() {
    let mut inputs = Vec::new();
    for (name, text) in corpus() {
        inputs.extend(variations(&name, &text));
        inputs.push((name, text));
    }
    let results = buildkit(&inputs);
    assert_eq!(results.len(), inputs.len());
    let disagreements: Vec<String> = inputs
        .iter()
        .zip(&results)
        .filter_map(|((name, text), theirs)| compare(name, text, theirs))
        .collect();
    let accepted = results.iter().filter(|r| r.get("commands").is_some()).count();
    assert!(
        accepted * 10 >= inputs.len() * 9,
        "most variations stay valid: {accepted} of {}",
        inputs.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} files disagree:\n{}",
        disagreements.len(),
        inputs.len(),
        disagreements.join("\n")
    );
}

#[test]
fn parser_agrees_with_buildkit_on_the_grammar_corners() {
    let corners = [
        "FROM a\nONBUILD RUN --mount=x echo hi\nONBUILD COPY [\"a\",\"b\"]\n",
        "FROM a\nHEALTHCHECK --interval=5s CMD [\"a\",\"b\"]\nHEALTHCHECK NONE\nHEALTHCHECK CMD curl x\n",
        "FROM a\nCMD\nCMD [\"a\"] trailing\nCMD [1]\n",
        "FROM a\nRUN echo a\\\\\nRUN b\nRUN c \\  \n  d\n",
        "FROM a\nENV A\n",
        "FROM a\nENV A=1 B\n",
        "# syntax=a\n# syntax=b\nFROM a\n",
        "# escape=x\nFROM a\n",
        "#escape = `\nFROM a\nRUN a `\n b\nRUN c\\\n",
        "# check=skip=all\n# unknown=1\n# escape=`\nFROM a\nRUN a `\n b\n",
        "FROM a\nRUN --mount=type=cache,target=/x -- echo\nRUN --network=none\n",
        "FROM a\nRUN cat <<EOF > f \\\n  && cat <<-EOG\nx\nEOF\ny\n\tEOG\n",
        "FROM a\nRUN 3<<'EOF' cat <<\"A B\"\n$x\nEOF\ny\nA B\nRUN [\"<<EOF\"]\n",
        "FROM a\nLABEL \"a b\"=\"c d\" e=f\nENV PATH /x:$PATH\nARG a=\"x y\" b\n",
        "FROM a\nEXPOSE\nUSER\nFROBNICATE x y\n\\\nRUN x\n",
        "\u{feff}FROM a\n   # indented comment\n\t\nRUN a\\\n   # c\n\n",
        "FROM a\nRUN <<EOF\nunterminated\n",
        "FROM a\nCOPY --chown='a b' --chmod=\"7\\55\" x y\nVOLUME [\"/a\", \"/b\"]\nVOLUME /c /d\n",
    ];
    let inputs: Vec<(String, String)> = corners
        .iter()
        .enumerate()
        .map(|(i, text)| (format!("corner {i}"), (*text).to_owned()))
        .collect();
    let results = buildkit(&inputs);
    let disagreements: Vec<String> = inputs
        .iter()
        .zip(&results)
        .filter_map(|((name, text), theirs)| compare(name, text, theirs))
        .collect();
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
