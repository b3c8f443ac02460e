//! Where the host's package managers fetch from, asked from them so that no host name is
//! written in the tests.

use std::process::Command;

/// The index pip would use: `PIP_INDEX_URL`, else pip's configured `index-url`, else
/// pip's built-in default.
pub fn pip_index() -> String {
    std::env::var("PIP_INDEX_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .or_else(|| output("python3", &["-m", "pip", "config", "get", "global.index-url"]))
        .or_else(|| {
            output(
                "python3",
                &[
                    "-c",
                    "from pip._internal.models.index import PyPI; print(PyPI.simple_url)",
                ],
            )
        })
        .expect("pip is installed and names an index")
}

/// The registry npm would use.
pub fn npm_registry() -> String {
    output("npm", &["config", "get", "registry"]).expect("npm is installed")
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}
