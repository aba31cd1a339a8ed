//! The ranges agora accepts, and how it quotes untrusted text back to the user.
//!
//! Every number an instance may hold is bounded so that a day that validates also solves well:
//! the backends treat magnitudes from 1e20 as infinite (HiGHS) or lose accuracy long before
//! (Clarabel's residuals span every row at once), so a supply of 1e20 would read as unbounded and
//! a floor of 1e25 as a model error naming no field; Clarabel ends a day with a supply of 1e12
//! `numerical_error`. At 1e11 every backend solves the bundled day with a supply, budget and
//! cap of that size (HiGHS and sifting for the LP, Clarabel for LP and QP). The bounds leave two
//! orders of magnitude above the largest marketplace day (10^9 impressions per segment and day)
//! and are documented in docs/formats.md ("Limits").

/// The largest supply, budget, cap or floor/cap bound (`min`, `max`) accepted: impressions or
/// currency per day.
pub const MAX_QUANTITY: f64 = 1e11;
/// The largest per-impression value accepted (engagement, price, quality) and the largest
/// objective weight.
pub const MAX_PER_IMPRESSION: f64 = 1e6;
/// The largest penalty per unit of a soft rule's violation.
pub const MAX_PENALTY: f64 = 1e9;
/// The longest id or name accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// The default largest input file read (instance, edges CSV, solution, market, auction,
/// settings): 16 GiB, far above a 10^8-edge day's edges CSV.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 16 << 30;
/// How many characters of untrusted text a message quotes.
pub const EXCERPT_CHARS: usize = 48;

/// The bound on the magnitude of a number in `field`.
pub fn max_magnitude(field: &str) -> f64 {
    match field {
        "engagement" | "engagement_lcb" | "engagement_ucb" | "price" | "quality" | "revenue" | "integrity_risk" | "regularization" => MAX_PER_IMPRESSION,
        "penalty" => MAX_PENALTY,
        _ => MAX_QUANTITY,
    }
}

/// Untrusted text as a message may quote it: control characters and quotes escaped, at most
/// [`EXCERPT_CHARS`] characters, with the length said when it was cut.
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    for c in chars.by_ref().take(EXCERPT_CHARS) {
        out.extend(c.escape_debug());
    }
    let rest = chars.count();
    if rest > 0 {
        out.push_str(&format!("... ({} more characters)", rest));
    }
    out
}

/// Why `id` cannot be an id: too long, or holding a control character.
pub fn id_problem(id: &str) -> Option<String> {
    if id.len() > MAX_ID_BYTES {
        return Some(format!("is {} bytes long; ids are at most {MAX_ID_BYTES} bytes (starts \"{}\")", id.len(), excerpt(id)));
    }
    id.chars().find(|c| c.is_control()).map(|c| format!("holds the control character U+{:04X}; ids must be printable (\"{}\")", c as u32, excerpt(id)))
}

/// `text` without a leading UTF-8 byte-order mark, which some editors write and JSON forbids.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_escape_and_cut() {
        assert_eq!(excerpt("seg\u{1b}[31m\nx"), "seg\\u{1b}[31m\\nx");
        let long = "a".repeat(10_000);
        let e = excerpt(&long);
        assert!(e.len() < 100 && e.ends_with("(9952 more characters)"), "{e}");
    }

    #[test]
    fn ids_must_be_printable_and_short() {
        assert!(id_problem("seg-1").is_none());
        assert!(id_problem("a\u{1b}b").unwrap().contains("U+001B"));
        assert!(id_problem(&"x".repeat(300)).unwrap().contains("300 bytes"));
        assert_eq!(strip_bom("\u{feff}{}"), "{}");
    }
}
