//! Self-contained HTML pages: one file, inline CSS, inline SVG charts and one small inline script
//! (sortable tables), no network, so a page opens from `file://` and travels as an attachment.
//!
//! Every number a page shows from a JSON output is written as
//! `<span class="num" data-key="PATH" data-value="V">TEXT</span>`, where `PATH` is its place in
//! that JSON as a JSON Pointer (`/overall/revenue`, `/gaps/3/value`), `V` the exact value, and
//! `data-scale`, when present, the factor between `V` and the shown figure. A reader can copy the
//! exact value; the browser test checks every such number against the JSON file, and that `TEXT`
//! shows `V` to the digits it prints. The report, frontier and horizon pages are built from the
//! same `serde_json::Value` their JSON file is written from.

use std::fmt::Write as _;

use serde_json::Value;

/// The message the page's script logs once it has run (one literal for the constant and the
/// script): the browser test expects it and nothing else on the console.
macro_rules! ready_message {
    () => {
        "agora page ready"
    };
}

/// The message the page's script logs once it has run.
pub const READY_MESSAGE: &str = ready_message!();

/// `s` with `&`, `<`, `>`, `"` and `'` escaped, for text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// At least four significant digits, thousands grouped, an exponent below 1e-3.
    Number,
    /// A share in [0, 1] as a percentage (at least one decimal).
    Percent,
}

/// `v` with at most four significant decimals' worth of digits, trailing zeros dropped, thousands
/// grouped: `66,873`, `251.2`, `0.04704`, `0.99`, `3`, `1.455e-11`, `0`.
pub fn format_number(v: f64) -> String {
    let v = v + 0.0;
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    let a = v.abs();
    if !(1e-3..1e15).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{a:.decimals$}");
    // Zeros after the last significant decimal say nothing (a count of 3 is not "3.000").
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f.trim_end_matches('0')).filter(|f| !f.is_empty())),
        None => (text.as_str(), None),
    };
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `share` (a fraction) as a percentage with at least one decimal: `16.6%`, `0.197%`.
pub fn format_percent(share: f64) -> String {
    let p = 100.0 * share + 0.0;
    // Below a billionth of a percent is rounding noise of a zero, not a figure to print.
    if p.abs() < 1e-9 {
        return "0%".into();
    }
    let a = p.abs();
    let decimals = if a >= 1.0 { 1 } else { (2 - a.log10().floor() as i32).clamp(1, 8) as usize };
    format!("{p:.decimals$}%")
}

/// The value at the JSON Pointer `path` (RFC 6901: `/gaps/3/value`) in `v`, if any.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    v.pointer(path)
}

/// `key` as one step of a JSON Pointer (`~` and `/` escaped), for keys that are ids.
pub fn pointer_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The number at `path` in `doc`, shown as `fmt`, tagged with its path and exact value; a dash
/// when `doc` has no number there (a re-solve that failed, say).
pub fn num(doc: &Value, path: &str, fmt: Fmt) -> String {
    num_scaled(doc, path, 1.0, fmt)
}

/// [`num`] of the value times `scale` (a share's price per percentage point is 0.01 times its
/// price per unit); the tag keeps the exact value and says the scale (`data-scale`).
pub fn num_scaled(doc: &Value, path: &str, scale: f64, fmt: Fmt) -> String {
    match lookup(doc, path).and_then(Value::as_f64) {
        Some(v) => {
            let shown = v * scale;
            let text = match fmt {
                Fmt::Number => format_number(shown),
                Fmt::Percent => format_percent(shown),
            };
            let scale_attr = if scale == 1.0 { String::new() } else { format!(r#" data-scale="{scale}""#) };
            format!(r#"<span class="num" data-key="{}" data-value="{}"{scale_attr} data-format="{}">{}</span>"#, escape(path), v, fmt_name(fmt), text)
        }
        None => "&ndash;".into(),
    }
}

fn fmt_name(f: Fmt) -> &'static str {
    match f {
        Fmt::Number => "number",
        Fmt::Percent => "percent",
    }
}

/// The text at `path` in `doc`, escaped (empty when absent).
pub fn text(doc: &Value, path: &str) -> String {
    match lookup(doc, path) {
        Some(Value::String(s)) => escape(s),
        Some(Value::Null) | None => String::new(),
        Some(v) => escape(&v.to_string()),
    }
}

/// An SVG document as an inline element: the XML prologue, if any, dropped.
pub fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(k) => &svg[k..],
        None => svg,
    }
}

/// A table whose cells are HTML fragments (escape text with [`escape`], numbers with [`num`]).
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    numeric: Vec<bool>,
}

impl Table {
    /// A table with these column titles; `numeric[k]` right-aligns column `k`.
    pub fn new(header: &[&str], numeric: &[bool]) -> Table {
        Table { header: header.iter().map(|h| escape(h)).collect(), rows: Vec::new(), numeric: numeric.to_vec() }
    }

    /// Appends a row of HTML fragments.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn render(&self, out: &mut String) {
        out.push_str("<div class=\"scroll\"><table class=\"sortable\"><thead><tr>");
        for (k, h) in self.header.iter().enumerate() {
            let class = if self.numeric.get(k).copied().unwrap_or(false) { " class=\"n\"" } else { "" };
            let _ = write!(out, "<th{class} title=\"click to sort\">{h}</th>");
        }
        out.push_str("</tr></thead><tbody>");
        for r in &self.rows {
            out.push_str("<tr>");
            for (k, c) in r.iter().enumerate() {
                let class = if self.numeric.get(k).copied().unwrap_or(false) { " class=\"n\"" } else { "" };
                let _ = write!(out, "<td{class}>{c}</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>\n");
    }
}

/// A column of [`Table::of_list`]: its title, the field of each element, how it is shown.
#[derive(Debug, Clone, Copy)]
pub enum Col<'a> {
    /// Text (escaped).
    Text(&'a str, &'a str),
    /// A tagged number ([`num`]).
    Num(&'a str, &'a str, Fmt),
}

impl Table {
    /// One row per element of the array at `list` in `doc`, one cell per column: numbers
    /// tagged with their pointer (`LIST/K/FIELD`), text escaped.
    pub fn of_list(doc: &Value, list: &str, cols: &[Col<'_>]) -> Table {
        let n = lookup(doc, list).and_then(Value::as_array).map_or(0, Vec::len);
        Table::of_list_rows(doc, list, cols, 0..n)
    }

    /// [`Table::of_list`] over the elements `rows` of the array only, in that order (a long
    /// list's top rows on a page).
    pub fn of_list_rows(doc: &Value, list: &str, cols: &[Col<'_>], rows: impl IntoIterator<Item = usize>) -> Table {
        let header: Vec<&str> = cols
            .iter()
            .map(|c| match c {
                Col::Text(t, _) | Col::Num(t, _, _) => *t,
            })
            .collect();
        let numeric: Vec<bool> = cols.iter().map(|c| matches!(c, Col::Num(..))).collect();
        let mut t = Table::new(&header, &numeric);
        for k in rows {
            t.row(
                cols.iter()
                    .map(|c| match c {
                        Col::Text(_, f) => text(doc, &format!("{list}/{k}/{f}")),
                        Col::Num(_, f, fmt) => num(doc, &format!("{list}/{k}/{f}"), *fmt),
                    })
                    .collect(),
            );
        }
        t
    }
}

/// A page being written: sections in order, then [`Page::finish`].
#[derive(Debug, Clone)]
pub struct Page {
    title: String,
    body: String,
    nav: Vec<(String, String)>,
}

impl Page {
    /// A page titled `title` (plain text), under a heading that says so, with `subtitle` (HTML) below.
    pub fn new(title: &str, subtitle: &str) -> Page {
        let body = format!("<header><h1>{}</h1><p class=\"sub\">{subtitle}</p></header>\n", escape(title));
        Page { title: title.to_string(), body, nav: Vec::new() }
    }

    /// Starts a section with a heading, listed in the page's table of contents.
    pub fn section(&mut self, id: &str, heading: &str) {
        if !self.nav.is_empty() {
            self.body.push_str("</section>\n");
        }
        let _ = writeln!(self.body, "<section id=\"{}\"><h2>{}</h2>", escape(id), escape(heading));
        self.nav.push((id.to_string(), heading.to_string()));
    }

    /// A paragraph of HTML.
    pub fn paragraph(&mut self, html: &str) {
        let _ = writeln!(self.body, "<p>{html}</p>");
    }

    /// A bulleted list of HTML items.
    pub fn bullets(&mut self, items: &[String]) {
        self.body.push_str("<ul class=\"binds\">");
        for i in items {
            let _ = write!(self.body, "<li>{i}</li>");
        }
        self.body.push_str("</ul>\n");
    }

    /// Headline figures: `(label, HTML value)` cards.
    pub fn cards(&mut self, cards: &[(&str, String)]) {
        self.body.push_str("<div class=\"cards\">");
        for (label, value) in cards {
            let _ = write!(self.body, "<div class=\"card\"><div class=\"v\">{value}</div><div class=\"l\">{}</div></div>", escape(label));
        }
        self.body.push_str("</div>\n");
    }

    /// A chart (SVG text) with a caption saying how to read it.
    pub fn figure(&mut self, name: &str, svg: &str, caption: &str) {
        let _ =
            writeln!(self.body, "<figure data-chart=\"{}\">{}<figcaption>{}</figcaption></figure>", escape(name), inline_svg(svg).trim_end(), escape(caption));
    }

    /// A table.
    pub fn table(&mut self, t: &Table) {
        t.render(&mut self.body);
    }

    /// Raw HTML (already escaped).
    pub fn raw(&mut self, html: &str) {
        self.body.push_str(html);
    }

    /// The whole document.
    pub fn finish(mut self) -> String {
        if !self.nav.is_empty() {
            self.body.push_str("</section>\n");
        }
        let nav: String = self.nav.iter().map(|(id, h)| format!("<a href=\"#{}\">{}</a>", escape(id), escape(h))).collect::<Vec<_>>().join(" ");
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{CSS}</style></head>\n<body>\n<nav>{nav}</nav>\n<main>\n{}</main>\n<footer>written by agora {}; \
             numbers carry their exact value and JSON path (hover or inspect).</footer>\n<script>{SCRIPT}</script>\n</body></html>\n",
            escape(&self.title),
            self.body,
            env!("CARGO_PKG_VERSION"),
        )
    }
}

/// A colour swatch (CSS colour) followed by `label` (escaped).
pub fn swatch(color: (u8, u8, u8), label: &str) -> String {
    format!("<span class=\"sw\" style=\"background:rgb({},{},{})\"></span>{}", color.0, color.1, color.2, escape(label))
}

const CSS: &str = "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2430;margin:0;background:#f6f7f9}\
main{max-width:1180px;margin:0 auto;padding:0 24px 40px}header{padding:24px 0 4px}h1{font-size:26px;margin:0}\
.sub{color:#5a6472;margin:4px 0 0}nav{position:sticky;top:0;background:#1d2430;padding:8px 24px;z-index:2}\
nav a{color:#dfe6ef;margin-right:16px;text-decoration:none;font-size:13px}nav a:hover{text-decoration:underline}\
section{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:8px 20px 16px;margin:18px 0}\
h2{font-size:19px;margin:12px 0}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\
.card{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:10px 16px;min-width:150px}\
.card .v{font-size:21px;font-weight:600}.card .l{color:#5a6472;font-size:13px}\
figure{margin:8px 0 16px}figure svg{max-width:100%;height:auto}figcaption{color:#5a6472;font-size:13px}\
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:13.5px;margin:8px 0}\
th,td{padding:4px 10px;border-bottom:1px solid #eef0f3;text-align:left;white-space:nowrap}\
th{cursor:pointer;background:#f0f2f5;position:sticky;top:0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}\
.mix{display:flex;width:220px;height:12px;border-radius:2px;overflow:hidden;background:#eef0f3}\
pre{overflow-x:auto;font-size:13px;background:#f6f7f9;padding:8px;border-radius:4px}.binds li{margin:4px 0}.muted{color:#5a6472}footer{color:#5a6472;font-size:12px;text-align:center;padding:16px}";

/// Click a column title to sort by it (numbers by their exact value); logs [`READY_MESSAGE`].
const SCRIPT: &str = concat!(
    "(function(){\
function key(td){var n=td.querySelector('[data-value]');if(n){return parseFloat(n.getAttribute('data-value'));}\
var t=td.textContent.trim();var f=parseFloat(t.replace(/,/g,''));return isNaN(f)?t.toLowerCase():f;}\
document.querySelectorAll('table.sortable').forEach(function(table){\
table.querySelectorAll('th').forEach(function(th,col){var asc=false;th.addEventListener('click',function(){\
asc=!asc;var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);\
rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);var c=(typeof x===typeof y)?(x<y?-1:x>y?1:0):(typeof x==='number'?-1:1);return asc?c:-c;});\
rows.forEach(function(r){body.appendChild(r);});});});});\
document.querySelectorAll('[data-key]').forEach(function(s){s.title=s.getAttribute('data-key')+' = '+s.getAttribute('data-value');});\
document.body.setAttribute('data-ready','1');\
console.log('",
    ready_message!(),
    "');})();"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_show_four_significant_digits_without_trailing_zeros_and_group_thousands() {
        assert_eq!(format_number(66873.3770316), "66,873");
        assert_eq!(format_number(1234.5678), "1,235");
        assert_eq!(format_number(251.197072122), "251.2");
        assert_eq!(format_number(0.0470404984096), "0.04704");
        assert_eq!(format_number(-0.001379), "-0.001379");
        assert_eq!(format_number(-1.455e-11), "-1.455e-11");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(12345678.9), "12,345,679");
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.99), "0.99");
        assert_eq!(format_number(560.0), "560");
        assert_eq!(format_number(0.4300), "0.43");
        assert_eq!(format_percent(0.166), "16.6%");
        assert_eq!(format_percent(0.0019734), "0.197%");
        assert_eq!(format_percent(1.0), "100.0%");
    }

    #[test]
    fn numbers_are_tagged_with_their_path_and_exact_value() {
        let doc = serde_json::json!({"a": {"b": [1.5, {"c": 0.25}]}, "name": "<x>", "g": {"x.y/z": 2.0}});
        assert_eq!(lookup(&doc, "/a/b/1/c"), Some(&serde_json::json!(0.25)));
        assert_eq!(lookup(&doc, "/a/b/7"), None);
        assert_eq!(lookup(&doc, &format!("/g/{}", pointer_key("x.y/z"))), Some(&serde_json::json!(2.0)));
        let n = num(&doc, "/a/b/1/c", Fmt::Percent);
        assert!(n.contains(r#"data-key="/a/b/1/c""#) && n.contains(r#"data-value="0.25""#) && n.ends_with(">25.0%</span>"), "{n}");
        let n = num_scaled(&doc, "/a/b/0", 0.01, Fmt::Number);
        assert!(n.contains(r#"data-value="1.5" data-scale="0.01""#) && n.ends_with(">0.015</span>"), "{n}");
        assert_eq!(num(&doc, "/a/missing", Fmt::Number), "&ndash;");
        assert_eq!(text(&doc, "/name"), "&lt;x&gt;");
    }

    #[test]
    fn a_page_escapes_its_title_and_closes_its_sections() {
        let mut p = Page::new("a <b> day", "sub");
        p.section("one", "One & two");
        p.paragraph("hello");
        let html = p.finish();
        assert!(html.contains("<title>a &lt;b&gt; day</title>"));
        assert!(html.contains("<h2>One &amp; two</h2>"));
        assert_eq!(html.matches("<section").count(), html.matches("</section>").count());
        assert!(html.contains(READY_MESSAGE));
    }
}
