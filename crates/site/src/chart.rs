//! The side-by-side: an image against its reference, as a bar chart (inline SVG, no
//! script) and as the table the chart is drawn from.

use crate::html::{esc, list, size, table};
use crate::model::ImageDescription;
use std::fmt::Write as _;

/// One compared quantity: its name, both values, and how to show a value.
struct Metric {
    name: &'static str,
    ours: Option<u64>,
    theirs: Option<u64>,
    show: fn(u64) -> String,
}

fn count(n: u64) -> String {
    n.to_string()
}

pub fn comparison(image: &ImageDescription) -> String {
    let mut out = String::from("<h2 id=\"compare\">Side by side</h2>\n");
    let Some(reference) = &image.reference else {
        out.push_str(
            "<p>No reference image: build the -dev variant or pass <code>--compare IMAGE</code>.</p>\n",
        );
        return out;
    };
    let ours = &image.hardening;
    let theirs = &reference.hardening;
    let open = image.findings.open().map(|o| o.len() as u64);
    let metrics = [
        Metric {
            name: "Packages",
            ours: ours.packages.map(|n| n as u64),
            theirs: theirs.packages.map(|n| n as u64),
            show: count,
        },
        Metric {
            name: "Compressed size",
            ours: Some(ours.stored_size),
            theirs: Some(theirs.stored_size),
            show: size,
        },
        Metric {
            name: "Open findings",
            ours: open,
            theirs: reference.open_findings.map(|n| n as u64),
            show: count,
        },
        Metric {
            name: "Shells and package managers",
            ours: Some((ours.shells.len() + ours.package_managers.len()) as u64),
            theirs: Some((theirs.shells.len() + theirs.package_managers.len()) as u64),
            show: count,
        },
    ];
    let _ = writeln!(
        out,
        "<p><strong>{}</strong> against <strong>{}</strong>; shorter bars are better.</p>",
        esc(&image.name),
        esc(&reference.name)
    );
    out.push_str(&svg(&image.name, &reference.name, &metrics));
    let shown =
        |value: Option<u64>, show: fn(u64) -> String| value.map_or_else(|| "unknown".to_owned(), show);
    let mut rows: Vec<Vec<String>> = metrics
        .iter()
        .map(|m| vec![m.name.to_owned(), shown(m.ours, m.show), shown(m.theirs, m.show)])
        .collect();
    rows.push(vec!["Shells".into(), list(&ours.shells), list(&theirs.shells)]);
    rows.push(vec![
        "Package managers".into(),
        list(&ours.package_managers),
        list(&theirs.package_managers),
    ]);
    rows.push(vec![
        "Hardening score".into(),
        format!("{}/100", ours.score),
        format!("{}/100", theirs.score),
    ]);
    out.push_str(&table(
        "side-by-side",
        "Side by side",
        &["Measure", &image.name, &reference.name],
        &rows,
    ));
    out
}

const WIDTH: u64 = 640;
const LABEL: u64 = 210;
const BAR: u64 = 18;
const GROUP: u64 = 2 * BAR + 22;

/// Two bars per metric, each scaled to the larger of the pair; the value written at
/// the end of each bar.
fn svg(ours: &str, theirs: &str, metrics: &[Metric]) -> String {
    let height = 34 + GROUP * metrics.len() as u64;
    let room = WIDTH - LABEL - 90;
    let mut out = format!(
        "<figure class=\"chart\">\n<svg viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"chart-title\" \
preserveAspectRatio=\"xMinYMin meet\">\n<title id=\"chart-title\">{} compared with {}</title>\n\
<rect class=\"ours\" x=\"{LABEL}\" y=\"4\" width=\"14\" height=\"14\"/><text x=\"{}\" y=\"16\">{}</text>\n\
<rect class=\"theirs\" x=\"{}\" y=\"4\" width=\"14\" height=\"14\"/><text x=\"{}\" y=\"16\">{}</text>\n",
        esc(ours),
        esc(theirs),
        LABEL + 20,
        esc(ours),
        LABEL + 230,
        LABEL + 250,
        esc(theirs),
    );
    for (i, metric) in metrics.iter().enumerate() {
        let top = 30 + GROUP * i as u64;
        let _ = writeln!(
            out,
            "<text class=\"metric\" x=\"0\" y=\"{}\">{}</text>",
            top + BAR + 4,
            metric.name
        );
        let max = metric.ours.unwrap_or(0).max(metric.theirs.unwrap_or(0)).max(1);
        for (row, (class, value)) in [("ours", metric.ours), ("theirs", metric.theirs)]
            .into_iter()
            .enumerate()
        {
            let y = top + row as u64 * (BAR + 2);
            let width = value.map_or(0, |v| (v * room).div_ceil(max).max(1));
            let label = value.map_or_else(|| "unknown".to_owned(), metric.show);
            let _ = writeln!(
                out,
                "<rect class=\"{class}\" x=\"{LABEL}\" y=\"{y}\" width=\"{width}\" height=\"{BAR}\"/>\
<text x=\"{}\" y=\"{}\">{}</text>",
                LABEL + width + 6,
                y + BAR - 4,
                esc(&label)
            );
        }
    }
    out.push_str("</svg>\n<figcaption>The same figures are in the table below.</figcaption>\n</figure>\n");
    out
}
