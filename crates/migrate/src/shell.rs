//! Just enough shell to sort a RUN's commands: package-manager steps, user creation,
//! and everything else.

/// One simple command of a RUN, with the separator that came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The words, quotes removed.
    pub words: Vec<String>,
    /// The text as written.
    pub text: String,
}

/// What a command does, for the rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Installs packages (`apt-get install`, `apk add`): their names.
    Install { manager: String, packages: Vec<String> },
    /// Other package-manager upkeep: update, clean, removing the lists.
    PackageUpkeep,
    /// Creates a user or group: its name.
    CreateUser(Option<String>),
    /// `set -e` and friends: changes nothing on disk.
    ShellOption,
    /// Anything else: it must run somewhere with a shell.
    Other,
}

/// Splits a shell script into simple commands at `&&`, `||`, `;`, `|` and newlines
/// outside quotes. Returns `None` for scripts with control structures or subshells,
/// which cannot be taken apart command by command.
pub(crate) fn commands(script: &str) -> Option<Vec<Command>> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = script.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some('"'), '\\') | (None, '\\') => match chars.next() {
                Some('\n') => current.push(' '),
                Some(next) => {
                    current.push(c);
                    current.push(next);
                }
                None => {}
            },
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, '&' | '|') if chars.peek() == Some(&c) => {
                chars.next();
                push(&mut out, &mut current);
            }
            (None, ';' | '\n' | '|') => push(&mut out, &mut current),
            (None, '(' | ')' | '`' | '{' | '}' | '&') => return None,
            (None, c) => current.push(c),
        }
    }
    push(&mut out, &mut current);
    let control = [
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "function",
    ];
    if out
        .iter()
        .any(|c: &Command| c.words.first().is_some_and(|w| control.contains(&w.as_str())))
    {
        return None;
    }
    Some(out)
}

fn push(out: &mut Vec<Command>, current: &mut String) {
    let text = std::mem::take(current).trim().to_owned();
    if text.is_empty() || text.starts_with('#') {
        return;
    }
    out.push(Command {
        words: words(&text),
        text,
    });
}

/// Words with quotes and backslashes removed.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '\\') => word.extend(chars.next()),
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

impl Command {
    /// The program and its arguments, without leading `VAR=value` assignments and `sudo`.
    fn program(&self) -> &[String] {
        let mut rest = self.words.as_slice();
        while let Some((first, tail)) = rest.split_first() {
            let assignment = first.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if assignment || first == "sudo" || first == "env" {
                rest = tail;
            } else {
                break;
            }
        }
        rest
    }

    pub(crate) fn step(&self) -> Step {
        let program = self.program();
        let Some((name, args)) = program.split_first() else {
            return Step::ShellOption;
        };
        match base_name(name) {
            "apt-get" | "apt" | "aptitude" => {
                match args.iter().find(|a| !a.starts_with('-')).map(String::as_str) {
                    Some("install") => Step::Install {
                        manager: "apt".into(),
                        packages: apt_packages(args),
                    },
                    _ => Step::PackageUpkeep,
                }
            }
            "apk" => match args.iter().find(|a| !a.starts_with('-')).map(String::as_str) {
                Some("add") => Step::Install {
                    manager: "apk".into(),
                    packages: apk_packages(args),
                },
                _ => Step::PackageUpkeep,
            },
            "rm" if args
                .iter()
                .filter(|a| !a.starts_with('-'))
                .all(|a| is_package_cache(a)) =>
            {
                Step::PackageUpkeep
            }
            "useradd" | "groupadd" | "adduser" | "addgroup" | "usermod" => {
                Step::CreateUser(args.iter().rev().find(|a| !a.starts_with('-')).cloned())
            }
            "set" => Step::ShellOption,
            _ => Step::Other,
        }
    }
}

/// Where a `pip install` puts the packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PipInstall {
    /// Into the system interpreter: as root on Debian, under /usr/local.
    System,
    /// Somewhere the command names: a virtual environment's pip, `--target`,
    /// `--prefix`, `--root`, `--user`.
    Elsewhere,
}

/// `pip`, `pip3`, `pip3.13`; `python`, `python3`, `python3.13`.
fn is_versioned(name: &str, program: &str) -> bool {
    name.strip_prefix(program)
        .is_some_and(|version| version.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

impl Command {
    /// `pip install ...` (or `python -m pip install ...`): where it installs.
    pub(crate) fn pip_install(&self) -> Option<PipInstall> {
        let program = self.program();
        let (path, args) = match program {
            [path, rest @ ..] if is_versioned(base_name(path), "pip") => (path, rest),
            [path, m, pip, rest @ ..]
                if is_versioned(base_name(path), "python") && m == "-m" && pip == "pip" =>
            {
                (path, rest)
            }
            _ => return None,
        };
        if args.iter().find(|a| !a.starts_with('-')).map(String::as_str) != Some("install") {
            return None;
        }
        let system_program = !path.contains('/')
            || ["/usr/bin/", "/usr/local/bin/"]
                .iter()
                .any(|dir| path.starts_with(dir));
        let elsewhere = args.iter().any(|a| {
            ["-t", "--target", "--prefix", "--root", "--user"]
                .iter()
                .any(|flag| a == flag || a.starts_with(&format!("{flag}=")))
        });
        Some(if system_program && !elsewhere {
            PipInstall::System
        } else {
            PipInstall::Elsewhere
        })
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_package_cache(path: &str) -> bool {
    [
        "/var/lib/apt/lists",
        "/var/cache/apt",
        "/var/cache/apk",
        "/var/cache/debconf",
        "/var/log/apt",
        "/var/log/dpkg",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

fn apt_packages(args: &[String]) -> Vec<String> {
    let mut packages = Vec::new();
    let mut after_install = false;
    let mut skip_value = false;
    for arg in args {
        if skip_value {
            skip_value = false;
        } else if arg == "-o" || arg == "-t" || arg == "--target-release" {
            skip_value = true;
        } else if arg.starts_with('-') {
        } else if !after_install {
            after_install = arg == "install";
        } else {
            let name = arg.split('=').next().unwrap_or(arg);
            packages.push(name.to_owned());
        }
    }
    packages
}

fn apk_packages(args: &[String]) -> Vec<String> {
    let mut packages = Vec::new();
    let mut after_add = false;
    let mut skip_value = false;
    for arg in args {
        if skip_value {
            skip_value = false;
        } else if matches!(arg.as_str(), "-t" | "--virtual" | "--repository" | "-X") {
            skip_value = true;
        } else if arg.starts_with('-') {
        } else if !after_add {
            after_add = arg == "add";
        } else {
            let name = arg.split(['=', '<', '>', '~']).next().unwrap_or(arg);
            packages.push(name.to_owned());
        }
    }
    packages
}

/// A shell-form command that is only plain words, so it can be an exec-form list.
pub(crate) fn plain_words(text: &str) -> Option<Vec<String>> {
    let special = |c: char| "|&;<>()$`\\\"'*?[]#~{}!\n".contains(c);
    let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    let assignment = words.first().is_some_and(|w| w.contains('='));
    (!words.is_empty() && !assignment && !text.contains(special)).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(script: &str) -> Vec<Step> {
        commands(script)
            .expect("simple")
            .iter()
            .map(Command::step)
            .collect()
    }

    #[test]
    fn apt_and_apk_installs_give_their_packages() {
        let found = steps("DEBIAN_FRONTEND=noninteractive apt-get update && apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold curl libpq5=15.4 \\\n tini; rm -rf /var/lib/apt/lists/*");
        assert_eq!(
            found,
            vec![
                Step::PackageUpkeep,
                Step::Install {
                    manager: "apt".into(),
                    packages: vec!["curl".into(), "libpq5".into(), "tini".into()]
                },
                Step::PackageUpkeep
            ]
        );
        assert_eq!(
            steps("apk add --no-cache --virtual .deps gcc musl-dev>=1.2"),
            vec![Step::Install {
                manager: "apk".into(),
                packages: vec!["gcc".into(), "musl-dev".into()]
            }]
        );
    }

    #[test]
    fn users_options_and_other_commands_are_told_apart() {
        assert_eq!(
            steps("set -eux; useradd -r -g svc svc && mkdir -p /data | tee x"),
            vec![
                Step::ShellOption,
                Step::CreateUser(Some("svc".into())),
                Step::Other,
                Step::Other
            ]
        );
        assert_eq!(commands("if [ -f x ]; then rm x; fi"), None);
        assert_eq!(commands("(cd /x && make)"), None);
    }

    #[test]
    fn only_plain_words_become_exec_form() {
        assert_eq!(
            plain_words("gunicorn -b 0.0.0.0:80 app:wsgi").map(|w| w.len()),
            Some(4)
        );
        assert_eq!(plain_words("echo $HOME"), None);
        assert_eq!(plain_words("a && b"), None);
        assert_eq!(plain_words("FOO=1 run"), None);
    }

    #[test]
    fn pip_installs_into_the_system_unless_told_elsewhere() {
        let pip = |script: &str| -> Vec<Option<PipInstall>> {
            commands(script)
                .expect("simple")
                .iter()
                .map(Command::pip_install)
                .collect()
        };
        assert_eq!(
            pip("pip install -r requirements.txt && PIP_NO_CACHE_DIR=1 python3.13 -m pip install --no-deps ./dist/app.whl"),
            vec![Some(PipInstall::System), Some(PipInstall::System)]
        );
        assert_eq!(
            pip("/opt/venv/bin/pip install flask; pip3 install --target=/deps x; pip install --user y; /usr/local/bin/pip3 install z"),
            vec![
                Some(PipInstall::Elsewhere),
                Some(PipInstall::Elsewhere),
                Some(PipInstall::Elsewhere),
                Some(PipInstall::System)
            ]
        );
        assert_eq!(
            pip("pip --version && pip download x && pipx install y && python3 -m venv /v"),
            vec![None, None, None, None]
        );
    }
}
