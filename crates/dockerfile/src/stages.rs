//! The build stages of a Dockerfile: FROM lines with their ARG-expanded images.

use crate::error::ParseError;
use crate::expand::expand;
use crate::model::{Arguments, Dockerfile, Kind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Range;

/// One build stage: a FROM and the instructions up to the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// 0-based position; `--from=N` refers to it.
    pub index: usize,
    /// The `AS name`, lower-cased as BuildKit compares it.
    pub name: Option<String>,
    /// The image as written in FROM.
    pub written: String,
    /// What the stage starts from, after ARG expansion.
    pub base: Base,
    /// `--platform`, expanded.
    pub platform: Option<String>,
    /// Index of the FROM in [`Dockerfile::instructions`].
    pub from: usize,
    /// Indices of the stage's other instructions.
    pub body: Range<usize>,
}

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Base {
    /// `FROM scratch`: an empty filesystem.
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image reference.
    Image(String),
}

impl Dockerfile {
    /// The ARGs declared before the first FROM, with their defaults expanded, and
    /// `build_args` (as `--build-arg` gives them) overriding the declared ones.
    pub fn global_args(
        &self,
        build_args: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, ParseError> {
        let mut globals = BTreeMap::new();
        for instruction in self.instructions.iter().take_while(|i| i.kind() != Kind::From) {
            let at =
                |message: String| ParseError::new(instruction.first_line, instruction.last_line, message);
            match (&instruction.arguments, instruction.kind()) {
                (Arguments::Words(words), Kind::Arg) => {
                    for word in words {
                        let (name, default) = match word.split_once('=') {
                            Some((name, value)) => {
                                let lookup = |n: &str| globals.get(n).cloned();
                                (
                                    name.to_owned(),
                                    Some(expand(value, self.escape, &lookup).map_err(|e| at(e.to_string()))?),
                                )
                            }
                            None => (word.clone(), None),
                        };
                        if let Some(value) = build_args.get(&name).cloned().or(default) {
                            globals.insert(name, value);
                        }
                    }
                }
                (_, Kind::Arg) => {
                    return Err(at(
                        "ARG needs a name: write `ARG NAME` or `ARG NAME=default`".into()
                    ))
                }
                (_, Kind::Unknown) => {}
                (_, _) => {
                    return Err(at(format!(
                        "`{}` before the first FROM: only ARG may come before FROM",
                        instruction.keyword
                    )))
                }
            }
        }
        Ok(globals)
    }

    /// The stages in order, each FROM's image expanded with the global ARGs.
    pub fn stages(&self, build_args: &BTreeMap<String, String>) -> Result<Vec<Stage>, ParseError> {
        let globals = self.global_args(build_args)?;
        let lookup = |name: &str| globals.get(name).cloned();
        let froms: Vec<usize> = self
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind() == Kind::From)
            .map(|(at, _)| at)
            .collect();
        if froms.is_empty() {
            return Err(ParseError::new(
                1,
                self.line_count().max(1),
                "no FROM instruction: a Dockerfile needs at least one stage",
            ));
        }
        let mut stages: Vec<Stage> = Vec::new();
        for (index, &from) in froms.iter().enumerate() {
            let instruction = &self.instructions[from];
            let at =
                |message: String| ParseError::new(instruction.first_line, instruction.last_line, message);
            let words = match &instruction.arguments {
                Arguments::Words(words) => words.as_slice(),
                _ => &[],
            };
            let (written, name) = match words {
                [image] => (image.clone(), None),
                [image, r#as, name] if r#as.eq_ignore_ascii_case("as") => {
                    (image.clone(), Some(name.to_ascii_lowercase()))
                }
                _ => return Err(at("FROM takes `IMAGE` or `IMAGE AS NAME`".into())),
            };
            let image = expand(&written, self.escape, &lookup).map_err(|e| at(e.to_string()))?;
            if image.is_empty() {
                return Err(at(format!(
                    "FROM `{written}` expands to nothing: give the ARG it uses a default or a --build-arg"
                )));
            }
            let platform = instruction
                .flag("platform")
                .map(|p| expand(p, self.escape, &lookup).map_err(|e| at(e.to_string())))
                .transpose()?;
            let base = if image.eq_ignore_ascii_case("scratch") {
                Base::Scratch
            } else if let Some(earlier) = stages
                .iter()
                .find(|s| s.name.as_deref() == Some(&image.to_ascii_lowercase()))
            {
                Base::Stage(earlier.index)
            } else {
                Base::Image(image)
            };
            let end = froms.get(index + 1).copied().unwrap_or(self.instructions.len());
            stages.push(Stage {
                index,
                name,
                written,
                base,
                platform,
                from,
                body: from + 1..end,
            });
        }
        Ok(stages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn stages_expand_global_args_and_link_names() {
        let file = parse("ARG PY=3.12\nARG VARIANT\nFROM python:${PY}-${VARIANT:-slim} AS Build\nRUN x\nFROM build\nFROM scratch\n").expect("parses");
        let stages = file.stages(&BTreeMap::new()).expect("stages");
        assert_eq!(stages[0].base, Base::Image("python:3.12-slim".into()));
        assert_eq!(stages[0].name.as_deref(), Some("build"));
        assert_eq!(stages[0].body, 3..4);
        assert_eq!(stages[1].base, Base::Stage(0));
        assert_eq!(stages[2].base, Base::Scratch);
        let overridden = file
            .stages(&BTreeMap::from([("VARIANT".to_owned(), "bookworm".to_owned())]))
            .expect("stages");
        assert_eq!(overridden[0].base, Base::Image("python:3.12-bookworm".into()));
    }

    #[test]
    fn instructions_before_from_other_than_arg_are_errors() {
        let file = parse("RUN x\nFROM a\n").expect("parses");
        assert_eq!(
            file.stages(&BTreeMap::new()).expect_err("rejected").to_string(),
            "line 1: `RUN` before the first FROM: only ARG may come before FROM"
        );
    }
}
