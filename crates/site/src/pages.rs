//! The catalog's pages: the index of every image and a page per image.

use crate::html::{day, esc, filter_box, list, page, short_digest, size, table};
use crate::model::{suppressed, Catalog, Findings, ImageDescription};
use buckle_patch::advisory::duration;
use buckle_vuln::Decided;
use std::fmt::Write as _;

/// The folder of an image's page and files, under `images/`: its name, made safe.
pub fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '-',
        })
        .collect();
    match slug.trim_start_matches('.') {
        "" => "image".to_owned(),
        s => s.to_owned(),
    }
}

pub fn index(catalog: &Catalog) -> String {
    let mut main = String::from("<h1>Images</h1>\n");
    let _ = writeln!(
        main,
        "<p>{} images. Each row links to the image's page: pull and verify commands, packages, \
findings, advisories, attestations and a side-by-side comparison.</p>",
        catalog.images.len()
    );
    main.push_str(&filter_box("images", "Filter images"));
    let rows: Vec<Vec<String>> = catalog
        .images
        .iter()
        .map(|image| {
            let tag = image.tags.first().map_or("(untagged)", String::as_str);
            let digests: Vec<String> = image
                .platforms
                .iter()
                .map(|p| format!("{} {}", esc(&p.architecture), short_digest(&p.digest)))
                .collect();
            vec![
                format!(
                    "<a href=\"images/{}/index.html\">{}</a>",
                    esc(&slug(&image.name)),
                    esc(&image.name)
                ),
                esc(image.description.as_deref().unwrap_or("")),
                list(&image.variants),
                list(
                    &image
                        .platforms
                        .iter()
                        .map(|p| p.architecture.clone())
                        .collect::<Vec<_>>(),
                ),
                format!("<code>{}</code><br>{}", esc(tag), digests.join("<br>")),
                image.packages.len().to_string(),
                size(image.compressed_size),
                findings_cell(&image.findings),
                if image.signed { "signed" } else { "not signed" }.to_owned(),
                image.rebuilt.as_deref().map_or_else(|| "unknown".to_owned(), day),
            ]
        })
        .collect();
    main.push_str(&table(
        "images",
        "The catalog's images",
        &[
            "Image",
            "Description",
            "Variants",
            "Architectures",
            "Tag and digests",
            "Packages",
            "Compressed size",
            "Open findings",
            "Signature",
            "Last rebuild",
        ],
        &rows,
    ));
    page("buckle catalog", "", &main, &catalog.generated_at)
}

/// `2 KEV, 5 open`, `0 open`, or why there is nothing to count.
fn findings_cell(findings: &Findings) -> String {
    match (findings, findings.open()) {
        (Findings::NotScanned { .. }, _) | (_, None) => "not scanned: no feed data".to_owned(),
        (_, Some(open)) => {
            let kev = open.iter().filter(|d| d.finding.kev.is_some()).count();
            if kev > 0 {
                format!("<strong>{kev} KEV</strong>, {} open", open.len())
            } else {
                format!("{} open", open.len())
            }
        }
    }
}

pub fn image(catalog: &Catalog, image: &ImageDescription) -> String {
    let mut main = format!("<h1>{}</h1>\n", esc(&image.name));
    if let Some(description) = &image.description {
        let _ = writeln!(main, "<p class=\"lead\">{}</p>", esc(description));
    }
    main.push_str(&facts(image));
    main.push_str(&commands(image));
    main.push_str(&platforms(image));
    main.push_str(&packages(image));
    main.push_str(&findings(image));
    main.push_str(&advisories(image));
    main.push_str(&attestations(image));
    main.push_str(&smoke_test(image));
    main.push_str(&crate::chart::comparison(image));
    page(
        &format!("{} — buckle catalog", image.name),
        "../../",
        &main,
        &catalog.generated_at,
    )
}

fn facts(image: &ImageDescription) -> String {
    let eol = image.eol.as_deref().unwrap_or("not declared");
    let mut out = String::from("<dl class=\"facts\">\n");
    for (term, value) in [
        ("Variant", esc(&image.variant)),
        ("Variants in the catalog", list(&image.variants)),
        (
            "Architectures",
            list(
                &image
                    .platforms
                    .iter()
                    .map(|p| p.architecture.clone())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "Signature",
            if image.signed {
                "signed".into()
            } else {
                "not signed".into()
            },
        ),
        (
            "Built from packages of",
            image.created.as_deref().map_or("unknown".into(), day),
        ),
        (
            "Last rebuild",
            image.rebuilt.as_deref().map_or("unknown".into(), day),
        ),
        ("Upstream end of life", esc(eol)),
        ("User", esc(user(&image.hardening.user))),
        ("Hardening score", format!("{}/100", image.hardening.score)),
    ] {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{value}</dd>");
    }
    out.push_str("</dl>\n");
    out
}

fn user(user: &str) -> &str {
    if user.is_empty() {
        "root"
    } else {
        user
    }
}

fn commands(image: &ImageDescription) -> String {
    let reference = image.advisories.iter().rev().find_map(|a| a.reference.clone());
    let pull = match &reference {
        Some(reference) => format!("buckle pull {reference} {}", image.name),
        None => format!(
            "skopeo copy oci:{}:{} docker://REGISTRY/{}:{}",
            image.path,
            tag(image),
            image.name,
            tag(image)
        ),
    };
    let verify = format!(
        "buckle verify {} --key KEY.pub",
        reference.as_deref().unwrap_or(&image.path)
    );
    format!(
        "<h2 id=\"use\">Pull and verify</h2>\n<p>Copy the image (from its registry when it was pushed, \
else from its layout), then check its signature, attestations and SBOMs against the publisher's key:</p>\n\
<pre><code>{}</code></pre>\n<pre><code>{}</code></pre>\n",
        esc(&pull),
        esc(&verify)
    )
}

fn tag(image: &ImageDescription) -> &str {
    image.tags.first().map_or("latest", String::as_str)
}

fn platforms(image: &ImageDescription) -> String {
    let rows: Vec<Vec<String>> = image
        .platforms
        .iter()
        .map(|p| {
            vec![
                esc(&p.architecture),
                format!("<code class=\"digest\">{}</code>", esc(&p.digest)),
                size(p.compressed_size),
                p.packages.to_string(),
            ]
        })
        .collect();
    format!(
        "<h2 id=\"tags\">Tags and digests</h2>\n<p>Tags: {}</p>\n{}",
        list(&image.tags),
        table(
            "platforms",
            "The image of each architecture",
            &["Architecture", "Manifest digest", "Compressed size", "Packages"],
            &rows
        )
    )
}

fn packages(image: &ImageDescription) -> String {
    let rows: Vec<Vec<String>> = image
        .packages
        .iter()
        .map(|p| vec![esc(&p.name), esc(&p.version), esc(&p.source), esc(&p.license)])
        .collect();
    format!(
        "<h2 id=\"packages\">Packages</h2>\n<p>{} Debian packages ({}). Download the table as \
<a href=\"packages.csv\" download>CSV</a> or <a href=\"packages.json\" download>JSON</a>.</p>\n{}{}",
        image.packages.len(),
        esc(&image.primary_architecture),
        filter_box("package-table", "Filter packages"),
        table(
            "package-table",
            "Installed packages",
            &["Package", "Version", "Source", "License"],
            &rows
        )
    )
}

fn findings(image: &ImageDescription) -> String {
    let mut out = String::from("<h2 id=\"findings\">Vulnerabilities</h2>\n");
    match &image.findings {
        Findings::NotScanned { reason } => {
            let _ = writeln!(
                out,
                "<p class=\"warning\"><strong>Not scanned: no feed data.</strong> {} This is not a clean \
result: run <code>buckle feeds update</code> and regenerate the site.</p>",
                esc(reason)
            );
        }
        Findings::Scanned {
            release,
            feeds,
            findings,
        } => {
            let open = findings.iter().filter(|d| !suppressed(d)).count();
            let _ = writeln!(
                out,
                "<p>{open} open, {} suppressed by VEX, matched in {} against: {}.</p>",
                findings.len() - open,
                esc(release),
                list(feeds)
            );
            let rows: Vec<Vec<String>> = findings.iter().map(finding_row).collect();
            out.push_str(&table(
                "finding-table",
                "Findings, KEV first",
                &[
                    "Vulnerability",
                    "Package",
                    "Installed",
                    "Fixed in",
                    "Severity",
                    "KEV",
                    "VEX status",
                    "Evidence",
                ],
                &rows,
            ));
        }
    }
    out
}

fn finding_row(decided: &Decided) -> Vec<String> {
    let finding = &decided.finding;
    let kev = finding.kev.as_ref().map_or_else(
        || "no".to_owned(),
        |k| format!("<strong>yes</strong>, added {}", esc(&k.date_added)),
    );
    let (status, evidence) = match &decided.vex {
        Some(vex) => (
            serde_json::to_value(vex.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            [
                vex.justification
                    .and_then(|j| serde_json::to_value(j).ok())
                    .and_then(|v| v.as_str().map(str::to_owned)),
                vex.note.clone(),
                Some(format!("from {}", vex.origin)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; "),
        ),
        None => (
            "affected".to_owned(),
            decided
                .no_automatic_vex
                .clone()
                .unwrap_or_else(|| "the package's files are in the image".to_owned()),
        ),
    };
    vec![
        esc(finding.id.as_str()),
        esc(finding.package.as_str()),
        esc(finding.installed.as_str()),
        finding
            .fixed
            .as_ref()
            .map_or_else(|| "no fix yet".to_owned(), |v| esc(v.as_str())),
        finding
            .severity
            .map_or_else(|| "unknown".to_owned(), |s| esc(s.name())),
        kev,
        esc(&status),
        esc(&evidence),
    ]
}

fn advisories(image: &ImageDescription) -> String {
    let mut out = String::from("<h2 id=\"advisories\">Advisories</h2>\n");
    if image.advisories.is_empty() {
        out.push_str(
            "<p>No advisory recorded: <code>buckle update --rebuild</code> writes one per rebuild.</p>\n",
        );
        return out;
    }
    let rows: Vec<Vec<String>> = image
        .advisories
        .iter()
        .rev()
        .map(|a| {
            let fixes: Vec<String> = a
                .fixes
                .iter()
                .map(|f| match f.kev {
                    Some(_) => format!("{} (KEV)", f.id),
                    None => f.id.to_string(),
                })
                .collect();
            vec![
                esc(&buckle_oci::rfc3339_utc(a.pushed_at.unwrap_or(a.built_at))),
                short_digest(&a.new_digest),
                list(&fixes),
                format!("{} packages", a.changes.len()),
                a.latency_seconds.map_or_else(|| "unknown".to_owned(), duration),
            ]
        })
        .collect();
    out.push_str(&table(
        "advisory-table",
        "Rebuilds, newest first",
        &["Published", "New digest", "Fixes", "Changes", "Patch latency"],
        &rows,
    ));
    out
}

fn attestations(image: &ImageDescription) -> String {
    let mut out = String::from("<h2 id=\"attestations\">Signatures, attestations and SBOMs</h2>\n");
    if image.attachments.is_empty() {
        out.push_str("<p>Nothing is attached to this image.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = image
            .attachments
            .iter()
            .map(|a| {
                vec![
                    esc(&a.architecture),
                    esc(&a.kind),
                    format!("<code>{}</code>", esc(&a.kind_type)),
                    esc(&a.place),
                    a.size.map_or_else(|| "unreadable".to_owned(), size),
                ]
            })
            .collect();
        out.push_str(&table(
            "attachments",
            "What is attached (not verified here: run the verify command above)",
            &["Architecture", "Kind", "Type", "Where", "Size"],
            &rows,
        ));
    }
    if !image.documents.is_empty() {
        out.push_str("<h3>Downloads</h3>\n<ul class=\"downloads\">\n");
        for document in &image.documents {
            let _ = writeln!(
                out,
                "<li><a href=\"{}\" download>{}</a> <span class=\"muted\">({}, {})</span></li>",
                esc(&document.file_name),
                esc(&document.title),
                esc(&document.media_type),
                size(document.content.len() as u64)
            );
        }
        out.push_str("</ul>\n");
    }
    out
}

fn smoke_test(image: &ImageDescription) -> String {
    let mut out = String::from("<h2 id=\"smoke-test\">Smoke test</h2>\n");
    match &image.smoke_test {
        Some(test) => {
            let _ = writeln!(
                out,
                "<p>Runs <code>{}</code> in the image (non-root, read-only, no network) and expects \
<code>{}</code> in its output:</p>\n<pre><code>{}</code></pre>",
                esc(&test.command.join(" ")),
                esc(&test.expect),
                esc(&test.run)
            );
        }
        None => out.push_str("<p>No spec with a smoke test was found for this image.</p>\n"),
    }
    out
}
