//! The work behind `buckle mcp`'s tools: each tool's arguments turned into an
//! operation's request, its result as the JSON the matching command prints with
//! `--json`. Path arguments arrive resolved inside the roots by [`buckle_mcp`].

use crate::args::{FormatArg, Global, RegistryArgs};
use crate::files::SpecFile;
use crate::image_view;
use crate::ops::build::{build_spec, BuildRequest};
use crate::ops::catalog::{self, Sources};
use crate::ops::check::{checked, load_policy};
use crate::ops::lock::{package_name, why};
use crate::ops::scan::{feeds_json, load_feeds, scan_target};
use crate::ops::{advisories, attachments};
use crate::printer::Printer;
use crate::registry::Remote;
use crate::session::Session;
use anyhow::Context;
use buckle_mcp::roots::Roots;
use buckle_mcp::tools::Tool;
use buckle_mcp::{Answer, Toolbox};
use buckle_oci::layout::Layout;
use buckle_sbom::dpkg::Detail;
use buckle_spec::Variant;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

pub struct Tools<'a> {
    pub session: Session,
    pub global: &'a Global,
    pub registry: &'a RegistryArgs,
    /// Status lines go to stderr (stdout is the protocol's); quiet unless -v.
    pub printer: Printer,
}

impl Toolbox for Tools<'_> {
    fn call(&self, tool: Tool, arguments: &Map<String, Value>, roots: &Roots) -> Result<Answer, String> {
        let args = Arguments(arguments);
        let answer = self.run(tool, &args, roots).map_err(|err| {
            let mut message = format!("{err:#}");
            if let Some(hint) = crate::exit::hint(&err) {
                message.push_str(&format!("\nhint: {hint}"));
            }
            message
        })?;
        match answer {
            Value::Object(map) => Ok(map),
            other => Err(format!(
                "internal: the tool answered {other} instead of an object"
            )),
        }
    }
}

impl Tools<'_> {
    fn run(&self, tool: Tool, args: &Arguments, roots: &Roots) -> anyhow::Result<Value> {
        let remote = Remote::new(self.registry, self.global, &self.printer);
        match tool {
            Tool::ListImages => Ok(json!({"images": catalog::list(roots.dirs())?})),
            Tool::ImageDetails => {
                let loaded = self
                    .session
                    .feed_store()
                    .load()
                    .context("cannot read the vulnerability feeds")?;
                let advisories = catalog::find_advisories(roots.dirs())?;
                let sources = Sources {
                    feeds: (!loaded.feeds.is_empty()).then_some(&loaded),
                    spec_dirs: roots.dirs(),
                    advisories: &advisories,
                    remote: &remote,
                };
                Ok(serde_json::to_value(catalog::describe(
                    &args.path("image"),
                    &sources,
                )?)?)
            }
            Tool::Packages => {
                let path = args.path("image");
                let arch = match args.text("arch") {
                    Some(arch) => arch.to_owned(),
                    None => catalog::architectures(&path)?.1,
                };
                let image = image_view::open_local(&path, Some(&arch))?;
                let (_, found) = image_view::packages(&image, Detail::Packages)?;
                let packages: Vec<_> = found.packages.iter().map(catalog::package).collect();
                Ok(json!({"image": path.display().to_string(), "architecture": arch, "packages": packages}))
            }
            Tool::Vulnerabilities => {
                let loaded = load_feeds(&self.session, &self.printer)?;
                let path = args.path("image");
                let now = crate::clock::now_seconds();
                let scanned = scan_target(&path, args.text("release"), &loaded, now, &[], &remote)?;
                let shown = scanned.shown(args.flag("show_suppressed"));
                Ok(scanned.to_json(&feeds_json(&loaded.feeds), &shown))
            }
            Tool::Attestations => {
                let layout = Layout::open(args.path("image"))?;
                match args.text("key") {
                    Some(key) => {
                        let key = crate::keys::read_public_key(Path::new(key))?;
                        let report = buckle_sign::verify::verify(&layout, &key, &Default::default(), None)?;
                        let mut value = serde_json::to_value(&report)?;
                        value["passed"] = report.passed().into();
                        Ok(value)
                    }
                    None => Ok(json!({"images": attachments::list(&layout, None)?})),
                }
            }
            Tool::Why => {
                let spec = SpecFile::load(&args.path("lock"))?;
                let package = package_name(args.text("package").unwrap_or_default())?;
                let found = why(&self.session, &spec, &package, args.text("arch"), variant(args))?;
                Ok(found.to_json())
            }
            Tool::Compare => {
                let policy = load_policy(None)?;
                let (theirs, theirs_report) = checked(&args.path("theirs"), None, &policy, &remote)?;
                let (ours, ours_report) = checked(&args.path("ours"), None, &policy, &remote)?;
                Ok(serde_json::to_value(buckle_check::compare(
                    &theirs,
                    &theirs_report,
                    &ours,
                    &ours_report,
                ))?)
            }
            Tool::Check => {
                let policy_path = args.text("policy").map(PathBuf::from);
                let policy = load_policy(policy_path.as_deref())?;
                let (_, report) = checked(&args.path("image"), None, &policy, &remote)?;
                Ok(serde_json::from_str(&report.to_json()?)?)
            }
            Tool::AdvisoriesSince => {
                let dir = advisories::advisories_dir(&args.path("dir"))?;
                let since = advisories::day_start(args.text("since").unwrap_or_default())?;
                let found = advisories::read(&dir, args.text("image"), Some(since))?;
                Ok(json!({"advisories": found}))
            }
            Tool::Build => {
                let spec = SpecFile::load(&args.path("spec"))?;
                let variant = variant(args);
                let request = BuildRequest {
                    // Beside the spec, so inside the root the spec is in.
                    output: Some(spec.dir().join(spec.default_output(variant, FormatArg::Oci))),
                    ..BuildRequest::layout(variant)
                };
                build_spec(&self.session, &spec, &request, &self.printer)
            }
        }
    }
}

/// A call's arguments, already checked against the tool's schema.
struct Arguments<'a>(&'a Map<String, Value>);

impl Arguments<'_> {
    fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// A required path argument (the schema guarantees it is there).
    fn path(&self, name: &str) -> PathBuf {
        PathBuf::from(self.text(name).unwrap_or_default())
    }

    fn flag(&self, name: &str) -> bool {
        self.0.get(name).and_then(Value::as_bool).unwrap_or(false)
    }
}

fn variant(args: &Arguments) -> Variant {
    match args.text("variant") {
        Some("dev") => Variant::Dev,
        _ => Variant::Runtime,
    }
}
