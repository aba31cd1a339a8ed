//! The `agora.serving/v1` artifact: what a serving system loads, with no solver at hand, to turn
//! an opportunity's candidate edges into a choice (the score rule, [`crate::score`]).
//!
//! A directory of six files:
//!
//! | file | content |
//! |---|---|
//! | `manifest.json` | schema, instance name and content hash, backend, status, objective, tolerances, validity window, created-at, the score rule's name, and every data file with its SHA-256 and size |
//! | `pacing.csv` | `campaign,multiplier,budget,planned_spend,budget_dual` |
//! | `adjustments.csv` | `name,type,sense,scope,dual,shadow_price,units`: one line per constraint row of the plan |
//! | `segments.csv` | `segment,supply,unserved_rate,unserved_score,epsilon` |
//! | `edges.csv` | `segment,item,campaign,value,price,adjustment,rate` |
//! | `checksum.sha256` | the SHA-256 of `manifest.json` and of every data file, in `sha256sum` format |
//!
//! `edges.csv` may instead be `edges.parquet` (`agora export --format parquet`): the same columns,
//! ids as UTF-8 text, numbers as doubles, `campaign` null for organic items; the manifest lists
//! whichever the artifact holds.
//!
//! The directory is written atomically ([`crate::write`]): into a temporary directory beside
//! the target, then renamed, so a reader never sees a partial artifact.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `schema` string of serving artifacts.
pub const SERVING_SCHEMA: &str = "agora.serving/v1";
/// The name of the score rule version-1 artifacts are made for (docs/serving.md, "The score rule").
pub const SCORE_RULE: &str = "agora.score/v1";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The checksum file's name.
pub const CHECKSUMS: &str = "checksum.sha256";
/// The data files, in the order they are listed in the manifest (the last one `edges.csv` or
/// [`EDGES_PARQUET`]: [`EdgesFormat::file_name`]).
pub const DATA_FILES: [&str; 4] = ["pacing.csv", "adjustments.csv", "segments.csv", "edges.csv"];
/// The per-edge file of an artifact written with [`EdgesFormat::Parquet`].
pub const EDGES_PARQUET: &str = "edges.parquet";

/// How an artifact's per-edge file is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EdgesFormat {
    /// `edges.csv`, as every other data file.
    #[default]
    Csv,
    /// `edges.parquet`: the same columns, typed (a tenth of the CSV's size, read without parsing).
    Parquet,
}

impl EdgesFormat {
    /// The per-edge file's name in the artifact.
    pub fn file_name(self) -> &'static str {
        match self {
            EdgesFormat::Csv => DATA_FILES[3],
            EdgesFormat::Parquet => EDGES_PARQUET,
        }
    }
}

/// The headers of the data files, in the order of [`DATA_FILES`].
pub(crate) const HEADERS: [&[&str]; 4] = [
    &["campaign", "multiplier", "budget", "planned_spend", "budget_dual"],
    &["name", "type", "sense", "scope", "dual", "shadow_price", "units"],
    &["segment", "supply", "unserved_rate", "unserved_score", "epsilon"],
    &["segment", "item", "campaign", "value", "price", "adjustment", "rate"],
];

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`SERVING_SCHEMA`].
    pub schema: String,
    /// The instance the plan was made for.
    pub instance: InstanceRef,
    /// The backend that produced the plan.
    pub backend: String,
    /// Always `optimal`: export refuses anything else.
    pub status: String,
    /// The plan's objective (penalties included).
    pub objective: f64,
    /// The tolerances the plan was checked to.
    pub tolerances: Tolerances,
    /// When serving may use the artifact.
    pub validity: Validity,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created_at: String,
    /// The score rule serving must apply ([`SCORE_RULE`]).
    pub score_rule: String,
    /// The data files with their checksums (filled in when the artifact is written).
    pub files: Vec<FileEntry>,
}

/// The instance the plan was made for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRef {
    /// The instance's name.
    pub name: String,
    /// `sha256:` and the hex SHA-256 of the instance file's bytes ([`content_hash`]).
    pub content_hash: String,
}

/// The tolerances the plan was checked to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tolerances {
    /// Relative tolerance of the independent feasibility check export ran on the plan.
    pub feasibility: f64,
    /// The solution's own certificate (relative residuals), where it carried one.
    pub primal_residual: Option<f64>,
    /// The certificate's relative dual residual, where the solution carried one.
    pub dual_residual: Option<f64>,
    /// The certificate's relative duality gap, where the solution carried one.
    pub gap: Option<f64>,
}

/// When serving may use the artifact (UTC, `YYYY-MM-DDTHH:MM:SSZ`); `None` is unbounded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Validity {
    /// The start of the window (UTC, inclusive); `None`: no start.
    pub from: Option<String>,
    /// The end of the window (UTC, exclusive), after `from`; `None`: no end.
    pub to: Option<String>,
}

/// A data file of the artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The file's name in the artifact directory.
    pub name: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// A line of `pacing.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PacingRow {
    /// The campaign's id.
    pub campaign: String,
    /// In `(0, 1]`: the factor serving applies to the campaign's score.
    pub multiplier: f64,
    /// The campaign's daily budget (currency per day).
    pub budget: f64,
    /// The campaign's spend in the plan (currency per day), at most `budget`.
    pub planned_spend: f64,
    /// The dual of the campaign's `budget[a]` row (objective units per unit of currency, `>= 0`).
    pub budget_dual: f64,
}

/// A line of `adjustments.csv`: one constraint row of the plan and its dual.
#[derive(Debug, Clone, PartialEq)]
pub struct AdjustmentRow {
    /// The spec's row name (`supply[s]`, `ad-load[s]`, ...).
    pub name: String,
    /// `supply`, `budget`, `item_cap` or the constraint type.
    pub kind: String,
    /// `<=` or `>=`.
    pub sense: String,
    /// `segment:ID`, `campaign:ID`, `item:ID` or `day`.
    pub scope: String,
    /// d(objective)/d(rhs): `>= 0` on `<=` rows, `<= 0` on `>=` rows.
    pub dual: f64,
    /// d(optimum)/d(the row's parameter), in objective units per unit of the parameter.
    pub shadow_price: f64,
    /// The units of `dual`.
    pub units: String,
}

/// A line of `segments.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRow {
    /// The segment's id.
    pub segment: String,
    /// The segment's supply (impressions per day).
    pub supply: f64,
    /// The share of the segment's opportunities the plan leaves unserved, in `[0, 1]`.
    pub unserved_rate: f64,
    /// The score of leaving an opportunity unserved: minus the dual of `supply[s]`.
    pub unserved_score: f64,
    /// The width of the score band (objective units per impression), `>= 0`.
    pub epsilon: f64,
}

/// A line of `edges.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeRow {
    /// The segment's id.
    pub segment: String,
    /// The item's id.
    pub item: String,
    /// The ad's campaign; `None` (an empty field) for organic items.
    pub campaign: Option<String>,
    /// `c_e`, the objective's value of one impression.
    pub value: f64,
    /// The expected revenue of one impression (currency per impression; 0 for organic items).
    pub price: f64,
    /// `sum_r dual_r * a_re` over every row except the budget rows.
    pub adjustment: f64,
    /// Planned impressions over the segment's supply, in `[0, 1]`.
    pub rate: f64,
}

/// An edge row borrowed from wherever the edges live: what the writers stream
/// ([`crate::write`]), so an export of 10^7 edges never holds them as [`EdgeRow`]s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeRef<'a> {
    /// [`EdgeRow::segment`].
    pub segment: &'a str,
    /// [`EdgeRow::item`].
    pub item: &'a str,
    /// [`EdgeRow::campaign`].
    pub campaign: Option<&'a str>,
    /// [`EdgeRow::value`].
    pub value: f64,
    /// [`EdgeRow::price`].
    pub price: f64,
    /// [`EdgeRow::adjustment`].
    pub adjustment: f64,
    /// [`EdgeRow::rate`].
    pub rate: f64,
}

impl EdgeRef<'_> {
    /// The row, owned.
    pub fn to_row(&self) -> EdgeRow {
        EdgeRow {
            segment: self.segment.to_string(),
            item: self.item.to_string(),
            campaign: self.campaign.map(str::to_string),
            value: self.value,
            price: self.price,
            adjustment: self.adjustment,
            rate: self.rate,
        }
    }
}

/// An artifact's edges as its writers read them: row `k` of `len()`, on demand, from any thread.
pub trait EdgeRows: Sync {
    /// The number of edges.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Edge `k`, `k < len()`.
    fn row(&self, k: usize) -> EdgeRef<'_>;
}

impl EdgeRows for [EdgeRow] {
    fn len(&self) -> usize {
        <[EdgeRow]>::len(self)
    }
    fn row(&self, k: usize) -> EdgeRef<'_> {
        let e = &self[k];
        EdgeRef { segment: &e.segment, item: &e.item, campaign: e.campaign.as_deref(), value: e.value, price: e.price, adjustment: e.adjustment, rate: e.rate }
    }
}

/// A loaded or freshly built artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// `manifest.json`.
    pub manifest: Manifest,
    /// The lines of `pacing.csv`, one per campaign.
    pub pacing: Vec<PacingRow>,
    /// The lines of `adjustments.csv`, one per constraint row.
    pub adjustments: Vec<AdjustmentRow>,
    /// The lines of `segments.csv`, one per segment.
    pub segments: Vec<SegmentRow>,
    /// The lines of `edges.csv`, one per edge.
    pub edges: Vec<EdgeRow>,
}

/// `sha256:` and the hex SHA-256 of `bytes`: the content hash of an instance file.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `digest` in lower-case hex.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(2 * digest.len());
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The current time, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Seconds since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since the epoch (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Whether `t` is a UTC time written `YYYY-MM-DDTHH:MM:SSZ` with fields in range. Such strings
/// order in time as they order as text.
pub fn is_utc_time(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return false;
    }
    let field = |r: std::ops::Range<usize>| t.get(r).filter(|s| s.bytes().all(|c| c.is_ascii_digit())).and_then(|s| s.parse::<u32>().ok());
    matches!(
        (field(0..4), field(5..7), field(8..10), field(11..13), field(14..16), field(17..19)),
        (Some(_), Some(1..=12), Some(1..=31), Some(0..=23), Some(0..=59), Some(0..=60))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting_matches_known_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert!(is_utc_time(&now_utc()));
        assert!(!is_utc_time("2023-13-14T22:13:20Z"));
        assert!(!is_utc_time("2023-11-14 22:13:20"));
    }

    #[test]
    fn sha256_of_a_known_string() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
