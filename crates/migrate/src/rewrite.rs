//! Dockerfile -> buckle Dockerfile: the stages' bases, the final stage's packages,
//! RUN steps, user, entrypoint and ports.

use crate::catalog;
use crate::error::Error;
use crate::mapping::{DebianName, ImageRule, Mapping};
use crate::report::{Change, Finding, Report, SpecReport, StageReport};
use crate::shell::{self, Step};
use buckle_dockerfile::{parse, Arguments, Base, Dockerfile, Instruction, Kind, Stage};
use std::collections::BTreeMap;

/// The registry prefix used when none is given: where
/// `buckle build catalog/SPEC.toml --push localhost:5000/buckle/SPEC` puts the catalog.
pub const DEFAULT_REGISTRY: &str = "localhost:5000/buckle";

/// The uid (and gid) buckle images run as.
const NONROOT: &str = "65532";

/// Lets pip install into Debian's python in a build stage, as it does in the python
/// images (PEP 668 makes Debian's pip refuse by default).
const PIP_INTO_THE_SYSTEM: &str = "ENV PIP_BREAK_SYSTEM_PACKAGES=1";
const PIP_WHY: &str = "; `PIP_BREAK_SYSTEM_PACKAGES=1` because the python images' pip installs into the system interpreter and Debian's refuses to (PEP 668) unless told: a build stage never ships";

/// What a migration needs besides the Dockerfile.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the buckle images are: `PREFIX` in `PREFIX/<image>`.
    pub registry: String,
    /// The name of the spec generated for the final stage's packages.
    pub spec_name: String,
    /// The Dockerfile's name, for errors and the generated spec's comment.
    pub file: String,
}

/// The migrated Dockerfile, the spec it needs (if any) and the report.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The new Dockerfile; lines the migration did not change are copied byte for byte.
    pub dockerfile: String,
    /// The generated spec, when the final stage installed packages.
    pub spec: Option<GeneratedSpec>,
    /// Every change with its reason, and what needs a person.
    pub report: Report,
}

/// A spec in the catalog's format, for the image the final stage now starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedSpec {
    /// Its name: the image is `PREFIX/<name>`.
    pub name: String,
    /// The TOML text.
    pub toml: String,
}

/// The name for the spec generated from a Dockerfile: `X` for `X.Dockerfile` and
/// `Dockerfile.X`, else the directory's name; lower-case letters, digits and `-`, with
/// `-app` added when the name is a catalog image's.
pub fn spec_name(file_name: &str, directory: Option<&str>) -> String {
    let stem = file_name
        .strip_suffix(".Dockerfile")
        .or_else(|| file_name.strip_suffix(".dockerfile"))
        .or_else(|| file_name.strip_prefix("Dockerfile."))
        .or(directory)
        .unwrap_or("app");
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if name.is_empty() {
        name = "app".to_owned();
    }
    if catalog::spec(&name).is_some() {
        name.push_str("-app");
    }
    name
}

/// Migrates a Dockerfile's text.
pub fn migrate(text: &str, mapping: &Mapping, options: &Options) -> Result<Migration, Error> {
    let at = |error| Error::Dockerfile {
        file: options.file.clone(),
        error,
    };
    let file = parse(text).map_err(at)?;
    let stages = file.stages(&BTreeMap::new()).map_err(at)?;
    let mut rewriter = Rewriter {
        file: &file,
        mapping,
        options,
        edits: BTreeMap::new(),
        report: Report::default(),
    };
    for warning in &file.warnings {
        rewriter.person(warning.line, warning.message.clone());
    }
    let (last, build) = stages
        .split_last()
        .unwrap_or_else(|| unreachable!("stages() returns at least one stage"));
    for stage in build {
        rewriter.build_stage(stage);
    }
    let spec = rewriter.final_stage(last, &stages);
    let dockerfile = rewriter.render();
    let mut report = rewriter.report;
    report.changes.sort_by_key(|c| c.line);
    report.needs_person.sort_by_key(|f| f.line);
    Ok(Migration {
        dockerfile,
        spec,
        report,
    })
}

/// New text for an instruction: lines before it, and its replacement.
#[derive(Default)]
struct Edit {
    before: Vec<String>,
    replace: Option<Vec<String>>,
    after: Vec<String>,
}

struct Rewriter<'a> {
    file: &'a Dockerfile,
    mapping: &'a Mapping,
    options: &'a Options,
    edits: BTreeMap<usize, Edit>,
    report: Report,
}

/// What the final stage's RUN steps installed.
#[derive(Default)]
struct Packages {
    /// (manager, name, line)
    wanted: Vec<(String, String, usize)>,
}

impl Rewriter<'_> {
    fn person(&mut self, line: usize, what: String) {
        self.report.needs_person.push(Finding { line, what });
    }

    fn change(&mut self, instruction: &Instruction, after: Vec<String>, why: String) {
        let before = self
            .file
            .source_lines(instruction.first_line, instruction.first_line)
            .concat();
        self.report.changes.push(Change {
            line: instruction.first_line,
            before: before.trim_end().to_owned(),
            after,
            why,
        });
    }

    fn image(&self, name: &str) -> String {
        format!("{}/{name}", self.options.registry.trim_end_matches('/'))
    }

    /// `FROM [flags] IMAGE [AS name]` with the flags as written.
    fn new_from(&self, stage: &Stage, image: &str) -> String {
        let from = &self.file.instructions[stage.from];
        let mut words = vec![from.keyword.clone()];
        words.extend(from.flags.iter().cloned());
        words.push(image.to_owned());
        if let Arguments::Words(written) = &from.arguments {
            if let [_, r#as, name] = written.as_slice() {
                words.push(r#as.clone());
                words.push(name.clone());
            }
        }
        words.join(" ")
    }

    fn rule(&self, stage: &Stage) -> Option<&ImageRule> {
        match &stage.base {
            Base::Image(reference) => self.mapping.image(reference),
            Base::Scratch => self.mapping.image("scratch"),
            Base::Stage(_) => None,
        }
    }

    fn base_text(stage: &Stage) -> String {
        match &stage.base {
            Base::Image(reference) => reference.clone(),
            Base::Scratch => "scratch".to_owned(),
            Base::Stage(index) => format!("stage {index}"),
        }
    }

    fn build_stage(&mut self, stage: &Stage) {
        let mut report = StageReport {
            index: stage.index,
            name: stage.name.clone(),
            is_final: false,
            from: Self::base_text(stage),
            to: None,
            why: String::new(),
        };
        match (self.rule(stage).cloned(), &stage.base) {
            (_, Base::Stage(index)) => report.why = format!("starts from stage {index}, which is migrated on its own"),
            (Some(rule), _) if rule.dev && self.installs_packages(stage) => {
                report.why = format!(
                    "this build stage installs packages: the catalog's `{}-dev` has apt but no package sources (its packages come from a lock), so the stage keeps its base; build stages do not ship",
                    rule.spec
                )
            }
            (Some(rule), _) if rule.dev => {
                let image = self.image(&format!("{}-dev", rule.spec));
                let has_run = stage.body.clone().any(|i| self.file.instructions[i].kind() == Kind::Run);
                let mut lines = vec![self.new_from(stage, &image)];
                let mut why = format!("build stage: the -dev variant of the catalog's `{}` image has a shell and apt", rule.spec);
                if has_run {
                    lines.push("USER root".to_owned());
                    why.push_str("; `USER root` because -dev images run as 65532 like the runtime ones, and this stage's RUN steps ran as root");
                }
                if self.runs_pip(stage) {
                    lines.push(PIP_INTO_THE_SYSTEM.to_owned());
                    why.push_str(PIP_WHY);
                }
                let from = &self.file.instructions[stage.from];
                self.change(from, lines.clone(), why.clone());
                self.edits.entry(stage.from).or_default().replace = Some(lines);
                report.to = Some(image);
                report.why = why;
                self.notices(stage);
            }
            (Some(rule), _) => {
                report.why = format!(
                    "the catalog's `{}-dev` lacks what this image's build steps usually need (the mapping says dev = false); build stages do not ship",
                    rule.spec
                )
            }
            (None, Base::Scratch) => report.why = "scratch build stage".to_owned(),
            (None, _) => report.why = "no buckle image maps to it; build stages do not ship, so it stays".to_owned(),
        }
        self.report.stages.push(report);
    }

    /// The simple commands of a stage's RUN steps, those that can be taken apart.
    fn commands(&self, stage: &Stage) -> Vec<shell::Command> {
        stage
            .body
            .clone()
            .filter_map(|i| run_commands(&self.file.instructions[i]))
            .flatten()
            .collect()
    }

    fn installs_packages(&self, stage: &Stage) -> bool {
        self.commands(stage)
            .iter()
            .any(|c| matches!(c.step(), Step::Install { .. }))
    }

    fn runs_pip(&self, stage: &Stage) -> bool {
        self.commands(stage).iter().any(|c| c.pip_install().is_some())
    }

    /// The mapping's notices for the RUN steps of a stage that now starts from a buckle image.
    fn notices(&mut self, stage: &Stage) {
        for index in stage.body.clone() {
            let instruction = &self.file.instructions[index];
            if instruction.kind() == Kind::Run {
                self.notice_run(instruction);
            }
        }
    }

    fn notice_run(&mut self, instruction: &Instruction) {
        let words = shell::words(&run_text(instruction));
        for notice in &self.mapping.notices {
            let wanted: Vec<&str> = notice.words.split_whitespace().collect();
            if words
                .windows(wanted.len())
                .any(|w| w.iter().map(String::as_str).eq(wanted.iter().copied()))
            {
                let what = format!("`{}` on a buckle image: {}", notice.words, notice.note);
                self.person(instruction.first_line, what);
            }
        }
    }

    fn final_stage(&mut self, stage: &Stage, stages: &[Stage]) -> Option<GeneratedSpec> {
        let rule = self.rule(stage).cloned();
        let from = &self.file.instructions[stage.from];
        let mut stage_report = StageReport {
            index: stage.index,
            name: stage.name.clone(),
            is_final: true,
            from: Self::base_text(stage),
            to: None,
            why: String::new(),
        };
        let Some(rule) = rule else {
            let what = match &stage.base {
                Base::Stage(index) => format!("the final stage starts from stage {index}: give it a buckle image as its base by hand (a runtime image, with COPY --from for what it needs)"),
                _ => format!("no buckle image maps to `{}`: add an [[image]] rule to a --map file, or pick a catalog image by hand", Self::base_text(stage)),
            };
            stage_report.why = "no mapping".to_owned();
            self.report.stages.push(stage_report);
            self.person(from.first_line, what);
            self.harden_final(stage, stages, None, &[]);
            return None;
        };
        let packages = self.collect_packages(stage);
        let (target, spec) = self.generated_spec(&rule, &packages, from.first_line);
        let image = self.image(&target);
        let line = self.new_from(stage, &image);
        let why = match &spec {
            Some(_) => format!(
                "final stage: the generated spec `{target}` (the catalog's `{}` plus the packages this stage installed), runtime variant: no shell, no package manager",
                rule.spec
            ),
            None => format!("final stage: the catalog's `{}` image, runtime variant: no shell, no package manager", rule.spec),
        };
        self.change(from, vec![line.clone()], why.clone());
        self.edits.entry(stage.from).or_default().replace = Some(vec![line]);
        stage_report.to = Some(image);
        stage_report.why = why;
        self.report.stages.push(stage_report);
        let entrypoint = catalog::spec(&rule.spec)
            .map(|s| s.entrypoint())
            .unwrap_or_default();
        self.harden_final(stage, stages, Some((&rule, &target)), &entrypoint);
        spec
    }

    fn collect_packages(&self, stage: &Stage) -> Packages {
        let mut packages = Packages::default();
        for index in stage.body.clone() {
            let instruction = &self.file.instructions[index];
            if let Some(commands) = run_commands(instruction) {
                for command in commands {
                    if let Step::Install {
                        manager,
                        packages: names,
                    } = command.step()
                    {
                        packages.wanted.extend(
                            names
                                .into_iter()
                                .map(|n| (manager.clone(), n, instruction.first_line)),
                        );
                    }
                }
            }
        }
        packages
    }

    /// The image the final stage starts from, and the spec generated for it when the
    /// stage installed packages.
    fn generated_spec(
        &mut self,
        rule: &ImageRule,
        packages: &Packages,
        line: usize,
    ) -> (String, Option<GeneratedSpec>) {
        if packages.wanted.is_empty() {
            return (rule.spec.clone(), None);
        }
        let Some(catalog) = catalog::spec(&rule.spec) else {
            let what = format!(
                "the final stage installs packages, but `{}` is not a catalog spec buckle ships, so no spec was generated: add the packages to that spec by hand",
                rule.spec
            );
            self.person(line, what);
            return (rule.spec.clone(), None);
        };
        let base_packages = catalog.packages();
        let mut report = SpecReport {
            name: self.options.spec_name.clone(),
            base: rule.spec.clone(),
            ..SpecReport::default()
        };
        let mut all = base_packages.clone();
        for (manager, name, at) in &packages.wanted {
            let distribution = if manager == "apk" {
                "alpine"
            } else {
                rule.packages.as_str()
            };
            let debian = match self.mapping.debian_name(distribution, name) {
                DebianName::Known(debian) => {
                    if debian != *name {
                        report.renamed.push((name.clone(), debian.clone()));
                    }
                    debian
                }
                DebianName::Assumed(debian) => {
                    if !all.contains(&debian) {
                        report.assumed.push(debian.clone());
                    }
                    debian
                }
                DebianName::NotNeeded => {
                    report
                        .left_out
                        .push(format!("{name} (not needed in a buckle image)"));
                    continue;
                }
                DebianName::Unknown => {
                    report.unmapped.push(name.clone());
                    let what = format!("{distribution} package `{name}` has no known Debian name: add it to the generated spec by hand (or to [packages.{distribution}] in a --map file)");
                    self.person(*at, what);
                    continue;
                }
            };
            if all.contains(&debian) {
                if base_packages.contains(&debian) {
                    report
                        .left_out
                        .push(format!("{debian} (already in `{}`)", rule.spec));
                }
                continue;
            }
            report.added.push(debian.clone());
            all.push(debian);
        }
        if report.added.is_empty() {
            let what = format!(
                "the packages it installs are all in the catalog's `{}` image",
                rule.spec
            );
            self.report.changes.push(Change {
                line,
                before: String::new(),
                after: vec![],
                why: format!("no spec generated: {what}"),
            });
            return (rule.spec.clone(), None);
        }
        let mut table = catalog.table;
        table.insert("name".into(), self.options.spec_name.clone().into());
        table.insert(
            "description".into(),
            format!(
                "{} for {}: the catalog's `{}` plus the packages its final stage installed",
                self.options.spec_name, self.options.file, rule.spec
            )
            .into(),
        );
        let mut excludes = table
            .get("exclude")
            .and_then(toml::Value::as_array)
            .cloned()
            .unwrap_or_default();
        for exclude in &self.mapping.excludes {
            let named = |value: &toml::Value| {
                value.get("package").and_then(toml::Value::as_str) == Some(exclude.package.as_str())
            };
            if !all.contains(&exclude.package) && !excludes.iter().any(named) {
                let mut entry = toml::Table::new();
                entry.insert("package".into(), exclude.package.clone().into());
                entry.insert("reason".into(), exclude.reason.clone().into());
                excludes.push(entry.into());
            }
        }
        table.insert("exclude".into(), toml::Value::Array(excludes));
        table.insert(
            "packages".into(),
            toml::Value::Array(all.into_iter().map(toml::Value::from).collect()),
        );
        table.remove("test");
        let body = toml::to_string(&table).unwrap_or_else(|e| unreachable!("a TOML table serializes: {e}"));
        let toml = format!(
            "# Generated by `buckle migrate` from {}: the catalog's `{}` spec plus the packages\n# the final stage installed with its package manager. Build it with `buckle build`.\n{body}",
            self.options.file, rule.spec
        );
        let name = self.options.spec_name.clone();
        self.report.spec = Some(report);
        (name.clone(), Some(GeneratedSpec { name, toml }))
    }

    /// USER, RUN, ENTRYPOINT/CMD, ports and the rest of the final stage.
    fn harden_final(
        &mut self,
        stage: &Stage,
        stages: &[Stage],
        target: Option<(&ImageRule, &str)>,
        entrypoint: &[String],
    ) {
        let build_name = unique_stage_name(stages);
        let mut replay: Vec<String> = Vec::new();
        let mut replay_until = 0;
        let mut workdir: Option<String> = None;
        let mut created_users: Vec<String> = Vec::new();
        let mut has_user = false;
        let has_entrypoint = stage
            .body
            .clone()
            .any(|i| self.file.instructions[i].kind() == Kind::Entrypoint);
        let last_cmd = stage
            .body
            .clone()
            .rev()
            .find(|&i| self.file.instructions[i].kind() == Kind::Cmd);
        let nginx_like = target.is_some_and(|(rule, _)| rule.spec == "nginx");
        for index in stage.body.clone() {
            let instruction = &self.file.instructions[index];
            let source = self
                .file
                .source_lines(instruction.first_line, instruction.last_line)
                .concat();
            match instruction.kind() {
                Kind::Run => {
                    if let Some(moved) = self.final_run(index, &workdir, &build_name, &mut created_users) {
                        replay.push(moved);
                        replay_until = replay.len();
                    }
                }
                Kind::Copy | Kind::Add => {
                    let text = self.chown(index, &source);
                    replay.push(text);
                }
                Kind::Workdir => {
                    if let Arguments::Shell(dir) = &instruction.arguments {
                        workdir = Some(match &workdir {
                            Some(current) if !dir.starts_with('/') => format!("{}/{dir}", current.trim_end_matches('/')),
                            _ => dir.clone(),
                        });
                    }
                    replay.push(source);
                }
                Kind::Env | Kind::Arg => replay.push(source),
                Kind::User => {
                    has_user = true;
                    self.user(instruction);
                }
                Kind::Entrypoint | Kind::Cmd => {
                    if Some(index) == last_cmd && !has_entrypoint && !entrypoint.is_empty() {
                        let line = "ENTRYPOINT []".to_owned();
                        let why = format!(
                            "the buckle image's entrypoint is {:?} and the original had none, so its CMD ran on its own: clear the entrypoint",
                            entrypoint
                        );
                        self.report.changes.push(Change { line: instruction.first_line, before: String::new(), after: vec![line.clone()], why });
                        self.edits.entry(index).or_default().before.push(line);
                    }
                    self.command(instruction);
                }
                Kind::Expose => self.expose(instruction, nginx_like),
                Kind::Healthcheck => {
                    if let Arguments::Healthcheck { command, .. } = &instruction.arguments {
                        if matches!(**command, Arguments::Shell(_)) {
                            let what = "HEALTHCHECK in shell form runs /bin/sh, which the image does not have: write it in exec form (CMD [\"/path/to/probe\", ...]) with a program the image has".to_owned();
                            self.person(instruction.first_line, what);
                        }
                    }
                }
                Kind::Shell => self.person(instruction.first_line, "SHELL names a shell the runtime image does not have: remove it (and write RUN, CMD and ENTRYPOINT in exec form)".to_owned()),
                Kind::Maintainer => {
                    if let Arguments::Shell(who) = &instruction.arguments {
                        let line = format!("LABEL org.opencontainers.image.authors={}", json_string(who));
                        let why = "MAINTAINER is deprecated (hadolint DL4000): the OCI authors label says the same".to_owned();
                        self.change(instruction, vec![line.clone()], why);
                        self.edits.entry(index).or_default().replace = Some(vec![line]);
                    }
                }
                Kind::Onbuild => {
                    if let Arguments::Onbuild(inner) = &instruction.arguments {
                        if inner.kind() == Kind::Run {
                            self.person(instruction.first_line, "ONBUILD RUN needs a shell in images built FROM this one: move the step into those images' build stages".to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        if !has_user {
            let last = stage.body.clone().last().unwrap_or(stage.from);
            let line = format!("USER {NONROOT}");
            let why = "the original set no USER, so it ran as root: buckle images run as 65532 (nonroot)"
                .to_owned();
            self.report.changes.push(Change {
                line: self.file.instructions[last].last_line,
                before: String::new(),
                after: vec![line.clone()],
                why,
            });
            self.edits.entry(last).or_default().after.push(line);
        }
        if replay_until > 0 {
            let dev = target.map(|(_, image)| self.image(&format!("{image}-dev")));
            let Some(dev) = dev else {
                self.person(self.file.instructions[stage.from].first_line, "the final stage's RUN steps need a build stage, but the final stage has no buckle image to take the -dev variant of".to_owned());
                return;
            };
            let mut lines = vec![format!("FROM {dev} AS {build_name}"), "USER root".to_owned()];
            let mut why = format!(
                "the runtime image has no shell: the final stage's RUN steps run in `{build_name}`, the -dev variant, after the same COPY, WORKDIR and ENV steps, and their results come over with COPY --from"
            );
            if self.runs_pip(stage) {
                lines.push(PIP_INTO_THE_SYSTEM.to_owned());
                why.push_str(PIP_WHY);
            }
            lines.extend(
                replay[..replay_until]
                    .iter()
                    .map(|text| text.trim_end_matches(['\r', '\n']).to_owned()),
            );
            lines.push(String::new());
            self.report.changes.push(Change {
                line: self.file.instructions[stage.from].first_line,
                before: String::new(),
                after: lines.clone(),
                why,
            });
            self.edits.entry(stage.from).or_default().before.extend(lines);
        }
    }

    /// A RUN of the final stage: its packages went to the spec, user creation is dropped,
    /// the rest moves to the build stage. Returns the text to run there.
    fn final_run(
        &mut self,
        index: usize,
        workdir: &Option<String>,
        build_name: &str,
        created_users: &mut Vec<String>,
    ) -> Option<String> {
        let instruction = &self.file.instructions[index];
        let source = self
            .file
            .source_lines(instruction.first_line, instruction.last_line)
            .concat();
        let commands = run_commands(instruction);
        let (others, dropped): (Vec<_>, Vec<_>) = match &commands {
            Some(commands) => commands.iter().partition(|c| c.step() == Step::Other),
            None => (Vec::new(), Vec::new()),
        };
        for command in &dropped {
            if let Step::CreateUser(Some(name)) = command.step() {
                created_users.push(name);
            }
        }
        if commands.is_some() && others.is_empty() {
            let mut reasons = Vec::new();
            if dropped.iter().any(|c| matches!(c.step(), Step::CreateUser(_))) {
                reasons.push("it creates a user: buckle images have the unprivileged user 65532 (nonroot)");
            }
            if dropped
                .iter()
                .any(|c| matches!(c.step(), Step::Install { .. } | Step::PackageUpkeep))
            {
                reasons.push("it runs the package manager: the packages it installs are in the final image's spec, and the runtime image has no package manager");
            }
            if reasons.is_empty() {
                reasons.push("it only sets shell options");
            }
            self.change(instruction, vec![], reasons.join("; "));
            self.edits.entry(index).or_default().replace = Some(vec![]);
            return None;
        }
        let plain = commands.is_some()
            && instruction.heredocs.is_empty()
            && matches!(instruction.arguments, Arguments::Shell(_));
        let moved = if plain && !dropped.is_empty() {
            let texts: Vec<String> = others
                .iter()
                .map(|c| rename_owners(&c.text, created_users))
                .collect();
            format!("RUN {}\n", texts.join(" && "))
        } else {
            source
        };
        let words: Vec<String> = match &commands {
            Some(_) => others.iter().flat_map(|c| c.words.clone()).collect(),
            None => shell::words(&run_text(instruction)),
        };
        self.notice_run(instruction);
        let mut paths = produced_paths(&words, workdir);
        let pip_into_the_system = others
            .iter()
            .any(|c| c.pip_install() == Some(shell::PipInstall::System));
        if pip_into_the_system {
            paths.retain(|p| !p.starts_with("/usr/local/"));
            paths.push("/usr/local".to_owned());
            paths.sort();
        }
        let chown = words.iter().any(|w| w == "chown");
        let copies: Vec<String> = paths
            .iter()
            .map(|p| {
                format!(
                    "COPY --from={build_name}{} {}",
                    if chown {
                        format!(" --chown={NONROOT}:{NONROOT}")
                    } else {
                        String::new()
                    },
                    same_path_operands(p)
                )
            })
            .collect();
        let why = format!(
            "the runtime image has no shell: the step runs in the build stage `{build_name}` and what it made comes over with COPY --from{}{}",
            if chown { " (owned by 65532, as its chown meant)" } else { "" },
            if pip_into_the_system { "; pip run as root installs into /usr/local on Debian, and the image's python3 looks there" } else { "" }
        );
        self.change(instruction, copies.clone(), why);
        let what = if paths.is_empty() {
            "cannot tell which files this RUN makes (no absolute path and no WORKDIR): add COPY --from lines for its results by hand".to_owned()
        } else {
            format!("check that COPY --from brings everything this RUN makes (taken from its paths and WORKDIR: {})", paths.join(", "))
        };
        self.person(instruction.first_line, what);
        self.edits.entry(index).or_default().replace = Some(copies);
        Some(moved)
    }

    /// COPY/ADD `--chown` to another user becomes 65532.
    fn chown(&mut self, index: usize, source: &str) -> String {
        let instruction = &self.file.instructions[index];
        let Some(owner) = instruction.flag("chown") else {
            return source.to_owned();
        };
        if owner == NONROOT
            || owner == format!("{NONROOT}:{NONROOT}")
            || owner == "nonroot"
            || owner == "nonroot:nonroot"
        {
            return source.to_owned();
        }
        let Some(start) = source.find("--chown=") else {
            return source.to_owned();
        };
        let end = source[start..]
            .find(char::is_whitespace)
            .map_or(source.len(), |e| start + e);
        let text = format!(
            "{}--chown={NONROOT}:{NONROOT}{}",
            &source[..start],
            &source[end..]
        );
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let why = format!("owner `{owner}` is a user of the original image; buckle images run as 65532");
        self.change(instruction, lines.clone(), why);
        self.edits.entry(index).or_default().replace = Some(lines);
        text
    }

    fn user(&mut self, instruction: &Instruction) {
        let Arguments::Shell(user) = &instruction.arguments else {
            return;
        };
        if user == NONROOT || user == &format!("{NONROOT}:{NONROOT}") {
            return;
        }
        let name = user.split(':').next().unwrap_or(user);
        let why = if name == "root" || name == "0" {
            "root in the final stage: buckle images run as 65532 (nonroot)".to_owned()
        } else if name.chars().all(|c| c.is_ascii_digit()) {
            format!("uid {name}: buckle images' unprivileged user is 65532 (nonroot)")
        } else {
            format!("user `{name}` does not exist in buckle images; 65532 (nonroot) does")
        };
        let line = format!("USER {NONROOT}");
        self.change(instruction, vec![line.clone()], why);
        self.edits.entry(self.index_of(instruction)).or_default().replace = Some(vec![line]);
    }

    fn command(&mut self, instruction: &Instruction) {
        let index = self.index_of(instruction);
        let keyword = instruction.keyword.to_ascii_uppercase();
        let words = match &instruction.arguments {
            Arguments::Exec(words) => words.clone(),
            Arguments::Shell(text) => match shell::plain_words(text) {
                Some(words) => words,
                None => {
                    let what = format!("{keyword} `{text}` needs a shell (variables, quotes, &&, pipes or redirects), which the runtime image does not have: write it as an exec-form list, or move the logic into the program");
                    self.person(instruction.first_line, what);
                    return;
                }
            },
            _ => return,
        };
        if let Some(first) = words.first() {
            let name = first.rsplit('/').next().unwrap_or(first);
            if matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh") {
                let what = format!("{keyword} runs `{first}`, a shell the runtime image does not have: run the program directly");
                self.person(instruction.first_line, what);
            }
        }
        self.listen_ports(instruction, &words);
        let mut renamed = words.clone();
        if let Some(first) = renamed.first_mut() {
            if let Some(to) = self.mapping.programs.get(first.as_str()) {
                *first = to.clone();
            }
        }
        if matches!(instruction.arguments, Arguments::Exec(_)) && renamed == words {
            return;
        }
        let line = format!("{} {}", instruction.keyword, exec_form(&renamed));
        let mut reasons = Vec::new();
        if !matches!(instruction.arguments, Arguments::Exec(_)) {
            reasons.push("shell form runs /bin/sh, which the runtime image does not have; the command is plain words, so it becomes an exec-form list".to_owned());
        }
        if renamed != words {
            reasons.push(format!("`{}` is `{}` in buckle images", words[0], renamed[0]));
        }
        self.change(instruction, vec![line.clone()], reasons.join("; "));
        self.edits.entry(index).or_default().replace = Some(vec![line]);
    }

    fn listen_ports(&mut self, instruction: &Instruction, words: &[String]) {
        let mut previous = "";
        for word in words {
            let port = word
                .rsplit_once(':')
                .map(|(_, port)| port)
                .or_else(|| matches!(previous, "--port" | "-p" | "--listen" | "-l").then_some(word.as_str()))
                .or_else(|| word.strip_prefix("--port="));
            if let Some(port) = port
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|p| *p > 0 && *p < 1024)
            {
                let what = format!("the command listens on port {port}, below 1024, which uid 65532 cannot bind: listen on {} (for example) and publish {port} -> {} at run time", port as u32 + 8000, port as u32 + 8000);
                self.person(instruction.first_line, what);
            }
            previous = word;
        }
    }

    fn expose(&mut self, instruction: &Instruction, nginx_like: bool) {
        let Arguments::Words(ports) = &instruction.arguments else {
            return;
        };
        for port in ports {
            let number = port.split('/').next().and_then(|p| p.parse::<u16>().ok());
            let Some(number) = number.filter(|p| *p < 1024) else {
                continue;
            };
            let config = if nginx_like {
                format!("; the buckle nginx image's nginx.conf listens on 8080: a server block you COPY with `listen {number}` must say `listen {}`", number as u32 + 8000)
            } else {
                String::new()
            };
            let what = format!(
                "EXPOSE {port}: ports below 1024 need root (or CAP_NET_BIND_SERVICE) to bind, and the image runs as 65532: make the server listen on {} and EXPOSE that, then publish {number} -> {} at run time{config}",
                number as u32 + 8000,
                number as u32 + 8000
            );
            self.person(instruction.first_line, what);
        }
    }

    fn index_of(&self, instruction: &Instruction) -> usize {
        self.file
            .instructions
            .iter()
            .position(|i| std::ptr::eq(i, instruction))
            .unwrap_or_else(|| unreachable!("the instruction is one of the file's"))
    }

    /// The Dockerfile with the edits applied; everything else byte for byte.
    fn render(&self) -> String {
        let mut out = String::new();
        let mut next_line = 1;
        let push_lines = |out: &mut String, lines: &[String]| {
            for line in lines {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(line);
                out.push('\n');
            }
        };
        for (index, instruction) in self.file.instructions.iter().enumerate() {
            out.push_str(
                &self
                    .file
                    .source_lines(next_line, instruction.first_line - 1)
                    .concat(),
            );
            next_line = instruction.last_line + 1;
            let Some(edit) = self.edits.get(&index) else {
                out.push_str(&self.kept_text(instruction));
                continue;
            };
            push_lines(&mut out, &edit.before);
            match &edit.replace {
                Some(lines) => push_lines(&mut out, lines),
                None => out.push_str(&self.kept_text(instruction)),
            }
            push_lines(&mut out, &edit.after);
        }
        out.push_str(&self.file.source_lines(next_line, self.file.line_count()).concat());
        out
    }

    /// An instruction's lines as written, except that a continuation left open at the
    /// end of the file is closed: what the rewrite adds after it must not join it.
    fn kept_text(&self, instruction: &Instruction) -> String {
        let mut lines = self
            .file
            .source_lines(instruction.first_line, instruction.last_line)
            .to_vec();
        let escape = self.file.escape;
        let last_content = lines.iter_mut().rev().find(|line| {
            let text = line.trim();
            !text.is_empty() && !text.starts_with('#')
        });
        if let Some(line) = last_content {
            let end = line.trim_end().len();
            if line[..end].ends_with(escape) {
                line.replace_range(end - escape.len_utf8()..end, "");
            }
        }
        lines.concat()
    }
}

/// A RUN's logical line and heredoc contents.
fn run_text(instruction: &Instruction) -> String {
    let heredocs: String = instruction.heredocs.iter().map(|h| h.content.as_str()).collect();
    format!("{} {heredocs}", instruction.original)
}

/// The simple commands of a shell-form RUN (its script, or the heredoc it runs);
/// `None` when the step cannot be taken apart.
fn run_commands(instruction: &Instruction) -> Option<Vec<shell::Command>> {
    let Arguments::Shell(text) = &instruction.arguments else {
        return None;
    };
    match instruction.heredocs.as_slice() {
        [] => shell::commands(text),
        // `RUN <<EOF`: the heredoc is the script itself (`RUN python3 <<EOF` is not).
        [heredoc]
            if text
                .trim()
                .trim_start_matches("<<")
                .trim_start_matches('-')
                .trim_matches(['"', '\''])
                == heredoc.name =>
        {
            let content: String = if heredoc.chomp {
                heredoc
                    .content
                    .lines()
                    .map(|l| format!("{}\n", l.trim_start_matches('\t')))
                    .collect()
            } else {
                heredoc.content.clone()
            };
            shell::commands(&content)
        }
        _ => None,
    }
}

/// `SRC DEST` for a COPY of `path` to the same place: JSON form when the shell form
/// would misread it (spaces split it, `<<` starts a heredoc, quotes and backslashes
/// are taken as syntax).
fn same_path_operands(path: &str) -> String {
    let misread =
        path.contains(char::is_whitespace) || path.contains("<<") || path.contains(['"', '\\', '\'']);
    if misread {
        let quoted = serde_json::to_string(path).unwrap_or_default();
        format!("[{quoted}, {quoted}]")
    } else {
        format!("{path} {path}")
    }
}

/// Absolute paths a step names (outside the package caches and pseudo-filesystems),
/// plus the WORKDIR: the candidates for what it made.
fn produced_paths(words: &[String], workdir: &Option<String>) -> Vec<String> {
    let skip = [
        "/tmp",
        "/dev",
        "/proc",
        "/sys",
        "/var/lib/apt",
        "/var/cache",
        "/etc/apt",
        "/run",
    ];
    let mut paths: Vec<String> = workdir.iter().cloned().collect();
    for word in words {
        let candidate = word.rsplit_once('=').map_or(word.as_str(), |(_, value)| value);
        if !candidate.starts_with('/')
            || candidate.contains(['*', '$', '?'])
            || skip
                .iter()
                .any(|s| candidate == *s || candidate.starts_with(&format!("{s}/")))
        {
            continue;
        }
        let path = candidate.trim_end_matches('/');
        if !path.is_empty() {
            paths.push(path.to_owned());
        }
    }
    paths.sort();
    paths.dedup();
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q != p && p.starts_with(&format!("{q}/"))));
    paths
}

/// `chown app:app x` -> `chown 65532:65532 x` for users the Dockerfile created.
fn rename_owners(text: &str, users: &[String]) -> String {
    let words = shell::words(text);
    if words.first().map(String::as_str) != Some("chown") || users.is_empty() {
        return text.to_owned();
    }
    words
        .iter()
        .map(|word| {
            let parts: Vec<&str> = word.split(':').collect();
            if !word.starts_with('-') && parts.iter().all(|p| users.iter().any(|u| u == p)) {
                parts.iter().map(|_| NONROOT).collect::<Vec<_>>().join(":")
            } else {
                word.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn unique_stage_name(stages: &[Stage]) -> String {
    let taken = |name: &str| stages.iter().any(|s| s.name.as_deref() == Some(name));
    (0..)
        .map(|n| {
            if n == 0 {
                "buckle-build".to_owned()
            } else {
                format!("buckle-build-{n}")
            }
        })
        .find(|n| !taken(n))
        .unwrap_or_default()
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|e| unreachable!("a string serializes: {e}"))
}

fn exec_form(words: &[String]) -> String {
    format!(
        "[{}]",
        words
            .iter()
            .map(|w| json_string(w))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrated(text: &str) -> Migration {
        let options = Options {
            registry: "r.example/b".into(),
            spec_name: "app".into(),
            file: "Dockerfile".into(),
        };
        migrate(text, &Mapping::builtin(), &options).expect("migrates")
    }

    #[test]
    fn what_the_tool_cannot_decide_is_kept_and_reported() {
        let m = migrated("FROM python:3.12 AS base\nFROM base\nFROBNICATE x\nENTRYPOINT [\"sh\", \"-c\", \"run $X\"]\nSHELL [\"/bin/bash\", \"-c\"]\n");
        let lines: Vec<usize> = m.report.needs_person.iter().map(|f| f.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5], "{:#?}", m.report.needs_person);
        assert!(
            m.dockerfile.contains("\nFROM base\nFROBNICATE x\n"),
            "kept as written:\n{}",
            m.dockerfile
        );
        assert!(m.dockerfile.ends_with("USER 65532\n"));
    }

    #[test]
    fn a_continuation_left_open_at_the_end_is_closed_before_what_migrate_adds() {
        // Found by the dockerfile fuzz target: the added `USER 65532` joined the LABEL.
        let m = migrated("FROM debian:12\nLABEL a=b \\\n  ");
        let parsed = buckle_dockerfile::parse(&m.dockerfile).expect("the migrated Dockerfile parses");
        let last = parsed.instructions.last().unwrap();
        assert_eq!(last.original, "USER 65532", "{}", m.dockerfile);
        assert!(m.dockerfile.contains("LABEL a=b \n"), "{}", m.dockerfile);
    }

    #[test]
    fn a_workdir_the_shell_form_would_misread_is_copied_in_json_form() {
        // Found by the dockerfile fuzz target: WORKDIR takes `<<` literally, COPY would
        // start a heredoc, and the space would split the path.
        let m = migrated("FROM debian:12\nWORKDIR /s N <<EOF\nRUN apt-get install -y curl && make\n");
        assert!(
            m.dockerfile
                .contains("COPY --from=buckle-build [\"/s N <<EOF\", \"/s N <<EOF\"]\n"),
            "{}",
            m.dockerfile
        );
        buckle_dockerfile::parse(&m.dockerfile).expect("the migrated Dockerfile parses");
    }

    #[test]
    fn mixed_run_steps_keep_their_other_commands_and_rename_created_owners() {
        let m = migrated("FROM debian:12\nWORKDIR /srv\nRUN apt-get install -y curl && useradd web && mkdir -p /srv/cache && chown web:web /srv/cache\nUSER web\n");
        assert!(
            m.dockerfile
                .contains("RUN mkdir -p /srv/cache && chown 65532:65532 /srv/cache\n"),
            "{}",
            m.dockerfile
        );
        assert!(
            m.dockerfile
                .contains("COPY --from=buckle-build --chown=65532:65532 /srv /srv\n"),
            "{}",
            m.dockerfile
        );
        assert!(
            m.dockerfile
                .starts_with("FROM r.example/b/app-dev AS buckle-build\nUSER root\nWORKDIR /srv\n"),
            "{}",
            m.dockerfile
        );
        assert!(m.spec.expect("a spec").toml.contains("\"curl\""));
    }

    #[test]
    fn spec_names_come_from_the_file_or_its_directory_and_avoid_catalog_names() {
        assert_eq!(
            spec_name("Dockerfile", Some("Report_Renderer")),
            "report-renderer"
        );
        assert_eq!(spec_name("api.Dockerfile", Some("x")), "api");
        assert_eq!(spec_name("Dockerfile.worker", None), "worker");
        assert_eq!(spec_name("Dockerfile", Some("python")), "python-app");
        assert_eq!(spec_name("Dockerfile", None), "app");
    }
}
