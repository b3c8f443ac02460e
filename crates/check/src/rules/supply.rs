//! Where the image comes from and what vouches for it: attachments, base pinning,
//! tags, build history, health check.

use super::{Context, Outcome};
use crate::report::Evidence;
use crate::view::{AttachmentKind, Attachments};
use buckle_oci::annotation;

pub(super) fn sbom(cx: &Context<'_>) -> Outcome {
    attached(cx, AttachmentKind::Sbom)
}

pub(super) fn provenance(cx: &Context<'_>) -> Outcome {
    attached(cx, AttachmentKind::Provenance)
}

pub(super) fn signature(cx: &Context<'_>) -> Outcome {
    attached(cx, AttachmentKind::Signature)
}

fn attached(cx: &Context<'_>, kind: AttachmentKind) -> Outcome {
    let attachments = &cx.view.attachments;
    let Some(found) = attachments.of_kind(kind) else {
        let reason = match attachments {
            Attachments::NotApplicable { reason } => reason.as_str(),
            Attachments::Found { .. } => "",
        };
        return Outcome::not_applicable(format!("not applicable: {reason}"));
    };
    match found.as_slice() {
        [] => Outcome::fail(
            format!("no {} is attached to the image", kind.name()),
            vec![Evidence::at("attachments").detail("referrers and cosign tags the layout lists")],
        ),
        [first, ..] => {
            let what = first
                .artifact_type
                .as_deref()
                .or(first.tag.as_deref())
                .unwrap_or("artifact");
            Outcome::pass(format!("{} attached: {what} {}", kind.name(), first.digest.oci()))
        }
    }
}

/// How buckle's image builder starts each history entry (`buckle: glibc layer`).
const BUCKLE_HISTORY: &str = "buckle: ";

pub(super) fn base_pinned(cx: &Context<'_>) -> Outcome {
    let view = cx.view;
    if let Some(digest) = view.metadata_value(annotation::BASE_DIGEST) {
        return Outcome::pass(format!("base image pinned: {digest}"));
    }
    if view.metadata_value(annotation::BASE_NAME) == Some("scratch") {
        return Outcome::not_applicable("built from scratch: there is no base image");
    }
    if view.layers.len() <= 1 {
        return Outcome::not_applicable("a single-layer image has no base image");
    }
    let by_buckle = !view.config.history.is_empty()
        && view.config.history.iter().all(|h| {
            h.created_by
                .as_deref()
                .is_some_and(|c| c.starts_with(BUCKLE_HISTORY))
        });
    if by_buckle {
        return Outcome::not_applicable(
            "built by buckle from Debian packages: there is no base image, and the lock pins every package",
        );
    }
    let named = view
        .metadata_value(annotation::BASE_NAME)
        .map(|name| format!(" (base `{name}`)"))
        .unwrap_or_default();
    Outcome::fail(
        format!("the image does not record its base image's digest{named}"),
        vec![Evidence::at(format!("annotation:{}", annotation::BASE_DIGEST)).detail("missing")],
    )
}

pub(super) fn latest_only(cx: &Context<'_>) -> Outcome {
    let tags = &cx.view.tags;
    if tags.is_empty() {
        return Outcome::not_applicable("the image has no tag");
    }
    let is_latest = |tag: &String| tag == "latest" || tag.ends_with(":latest");
    if tags.iter().all(is_latest) {
        let evidence = tags.iter().map(|t| Evidence::at(format!("tag:{t}"))).collect();
        return Outcome::fail("the image is tagged only `latest`", evidence);
    }
    Outcome::pass(format!("tagged {}", tags.join(", ")))
}

/// The sources of an `ADD` in a history command, when it is one: the words after
/// `ADD` and its `--flags`, up to `in <dest>` (classic builder) or up to the last word,
/// the destination (BuildKit, whose entries end in `# buildkit`).
fn add_sources(created_by: &str) -> Vec<&str> {
    let mut words = created_by.split_whitespace();
    if !words.any(|w| w == "ADD") {
        return Vec::new();
    }
    let args: Vec<&str> = words
        .take_while(|w| *w != "#")
        .filter(|w| !w.starts_with("--"))
        .collect();
    match args.iter().position(|w| *w == "in") {
        Some(at) => args.get(..at).unwrap_or_default().to_vec(),
        None => args
            .split_last()
            .map(|(_, sources)| sources.to_vec())
            .unwrap_or_default(),
    }
}

pub(super) fn add_remote(cx: &Context<'_>) -> Outcome {
    let found: Vec<Evidence> = cx
        .view
        .config
        .history
        .iter()
        .enumerate()
        .flat_map(|(index, entry)| {
            let created_by = entry.created_by.as_deref().unwrap_or_default();
            add_sources(created_by)
                .into_iter()
                .filter(|s| s.starts_with("http://") || s.starts_with("https://") || s.starts_with("git@"))
                .map(move |source| Evidence::at(format!("history:{index}")).detail(format!("ADD {source}")))
                .collect::<Vec<_>>()
        })
        .collect();
    if found.is_empty() {
        return Outcome::pass("no ADD of a remote URL in the history");
    }
    Outcome::fail("build steps ADD remote URLs", found)
}

/// Index refreshes and the install commands that make them harmless.
const UPDATES: [&str; 6] = [
    "apt-get update",
    "apt update",
    "apk update",
    "yum update",
    "dnf update",
    "microdnf update",
];
const INSTALLS: [&str; 8] = [
    "apt-get install",
    "apt install",
    "apt-get upgrade",
    "apt-get dist-upgrade",
    "apk add",
    "apk upgrade",
    "yum install",
    "dnf install",
];

pub(super) fn update_alone(cx: &Context<'_>) -> Outcome {
    let found: Vec<Evidence> = cx
        .view
        .config
        .history
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            let command = entry.created_by.as_deref().unwrap_or_default();
            let update = UPDATES.iter().find(|u| command.contains(*u))?;
            let installs = INSTALLS.iter().any(|i| command.contains(i));
            (!installs).then(|| {
                Evidence::at(format!("history:{index}")).detail(format!("`{update}` without an install"))
            })
        })
        .collect();
    if found.is_empty() {
        return Outcome::pass("no build step refreshes a package index without installing");
    }
    Outcome::fail("build steps refresh the package index alone", found)
}

pub(super) fn healthcheck(cx: &Context<'_>) -> Outcome {
    let config = cx.view.container();
    let test = config
        .extra
        .get("Healthcheck")
        .and_then(|h| h.get("Test"))
        .and_then(|t| t.as_array())
        .map(|t| t.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>());
    match test.as_deref() {
        Some(["NONE", ..]) => Outcome::warn(
            "HEALTHCHECK is disabled (`NONE`); distroless-style images usually leave health checks to the orchestrator",
            vec![Evidence::at("config:Healthcheck").detail("NONE")],
        ),
        Some(test) if !test.is_empty() => Outcome::pass(format!("HEALTHCHECK `{}`", test.join(" "))),
        _ => Outcome::warn(
            "no HEALTHCHECK: distroless-style images usually have none because a check needs a shell or a probe binary, and orchestrators define probes outside the image",
            vec![Evidence::at("config:Healthcheck").detail("not set")],
        ),
    }
}

pub(super) fn end_of_life(cx: &Context<'_>) -> Outcome {
    let Some(text) = cx.view.metadata_value(crate::view::EOL_LABEL) else {
        return Outcome::not_applicable(format!(
            "the image does not say when upstream support ends (no `{}` label)",
            crate::view::EOL_LABEL
        ));
    };
    let evidence = || vec![Evidence::at(crate::view::EOL_LABEL).detail(text)];
    let eol: buckle_spec::EndOfLife = match text.parse() {
        Ok(eol) => eol,
        Err(problem) => {
            return Outcome::warn(
                format!("the end-of-life label cannot be read: {problem}"),
                evidence(),
            )
        }
    };
    let Some(now) = cx.now else {
        return Outcome::not_applicable(format!(
            "upstream support ends {eol}; no clock was given to judge it"
        ));
    };
    let days = eol.days_left(now);
    if eol.is_past(now) {
        Outcome::warn(
            format!("upstream support ended {eol}, {} days ago", -days),
            evidence(),
        )
    } else {
        Outcome::pass(format!("upstream support until {eol} ({days} days left)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sources_are_found_in_classic_and_buildkit_history() {
        assert_eq!(
            add_sources("/bin/sh -c #(nop) ADD https://x.example/a.tgz in /opt "),
            ["https://x.example/a.tgz"]
        );
        assert_eq!(
            add_sources("ADD --chown=1:1 https://x.example/a /b # buildkit"),
            ["https://x.example/a"]
        );
        assert_eq!(add_sources("/bin/sh -c #(nop) ADD file:abc in / "), ["file:abc"]);
        assert!(add_sources("RUN make").is_empty());
    }
}
