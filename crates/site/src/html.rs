//! The few HTML pieces every page is made of: escaping, the page frame with its
//! Content-Security-Policy, tables with header cells, sizes and dates.

use std::fmt::Write as _;

/// What a page may load: its own stylesheet, script and icon, nothing else, nothing
/// inline (the charts are inline SVG elements styled by the stylesheet). Browsers
/// ignore `frame-ancestors` in a `<meta>` element: the server sends it as a header.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/// `text` safe in element content and in double-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page. `root` is the relative way back to the site's top (`""` or `../../`).
pub fn page(title: &str, root: &str, main: &str, generated_at: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
<title>{title}</title>\n<link rel=\"icon\" href=\"{root}favicon.svg\" type=\"image/svg+xml\">\n\
<link rel=\"stylesheet\" href=\"{root}style.css\">\n<script src=\"{root}filter.js\" defer></script>\n</head>\n<body>\n\
<header><a class=\"home\" href=\"{root}index.html\">buckle catalog</a></header>\n<main>\n{main}</main>\n\
<footer><p>Generated {generated} by <code>buckle site</code>.</p></footer>\n</body>\n</html>\n",
        csp = CONTENT_SECURITY_POLICY,
        title = esc(title),
        generated = esc(generated_at),
    )
}

/// A table with a caption, column headers (`scope="col"`) and rows whose first cell is
/// a row header (`scope="row"`); cells are HTML already. Wrapped in a region that
/// scrolls sideways on a narrow screen and can take the keyboard focus.
pub fn table(id: &str, caption: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!(
        "<div class=\"scroll\" role=\"region\" aria-labelledby=\"{id}-caption\" tabindex=\"0\">\n\
<table id=\"{id}\">\n<caption id=\"{id}-caption\">{}</caption>\n<thead><tr>",
        esc(caption)
    );
    for header in headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(out, "<th scope=\"row\">{cell}</th>");
            } else {
                let _ = write!(out, "<td>{cell}</td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out
}

/// A search box that filters the rows of table `table_id`. Hidden until the script
/// shows it: without JavaScript every row is shown and the box would do nothing.
pub fn filter_box(table_id: &str, label: &str) -> String {
    format!(
        "<form class=\"filter\" role=\"search\" hidden>\n<label for=\"{table_id}-filter\">{}</label>\n\
<input type=\"search\" id=\"{table_id}-filter\" data-filter=\"{table_id}\" autocomplete=\"off\">\n\
<output for=\"{table_id}-filter\" id=\"{table_id}-count\" aria-live=\"polite\"></output>\n</form>\n",
        esc(label)
    )
}

/// `12.3 MB`, `456 kB`, `789 B` (powers of 1000, as registries show sizes).
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// `sha256:0123456789ab…` with the whole digest in a title.
pub fn short_digest(digest: &str) -> String {
    let short: String = digest.chars().take("sha256:".len() + 12).collect();
    format!("<code title=\"{}\">{}…</code>", esc(digest), esc(&short))
}

/// `2025-09-01` from an RFC 3339 time, or the text as it is.
pub fn day(time: &str) -> String {
    esc(time.get(..10).unwrap_or(time))
}

/// `none`, or the items separated by commas.
pub fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        esc(&items.join(", "))
    }
}
