//! Number formatting for reports: plain-text tables for the summaries printed by the CLI, and
//! rounding for the JSON files.

/// A number for a table: 6 decimals without trailing zeros, or 4 significant digits in
/// scientific notation below 1e-3.
pub fn num(x: f64) -> String {
    let x = x + 0.0; // -0 prints as 0
    let s = format!("{:.6}", x);
    let s = if x != 0.0 && x.abs() < 1e-3 { format!("{x:.3e}") } else { s };
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Left-aligned columns separated by two spaces; the first row is the header.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().enumerate().map(|(c, s)| format!("{s:<w$}", w = width[c])).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Rounds to 12 significant digits, so that 0.30000000000000004 is written as 0.3. Far below
/// any accuracy claimed for the numbers rounded.
pub fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 11 - x.abs().log10().floor() as i32;
    if !(-300..=300).contains(&digits) {
        return x;
    }
    let factor = 10f64.powi(digits);
    (x * factor).round() / factor
}
