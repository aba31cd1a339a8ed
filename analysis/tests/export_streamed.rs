//! The export over generated columns, streamed: the same numbers as the whole-matrix export it
//! replaced (an independent reference here, written as that export was), the same bytes whether
//! written whole or streamed, and a Parquet per-edge file that reads back as its CSV twin and is
//! refused, naming it, when damaged.

use std::path::Path;

use agora_analysis::{build, check_export, ExportError, ExportOptions};
use agora_instances::columnar::table_writer::{Column, ColumnType, TableWriter};
use agora_instances::Instance;
use agora_serving::artifact::*;
use agora_serving::{read_dir, write_parts, Artifact, ReadError};

mod common;
use agora_solver::{edge_value, formulate, solve, RowKind, Settings, SolutionFile};
use common::{example, solved_days};

/// The content hash the manifests record (of no file: the reader checks only its form).
const HASH: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn opts() -> ExportOptions {
    ExportOptions { valid_from: None, valid_to: None, created_at: Some("2026-12-07T00:00:00Z".into()) }
}

/// The edges' adjustments and the segments' rows as the export computed them from the whole
/// matrix before it generated columns: each stored column's entries summed in order, each
/// segment's edges listed.
fn whole_matrix_reference(inst: &Instance, sol: &SolutionFile, artifact: &Artifact) -> (Vec<f64>, Vec<SegmentRow>) {
    let model = formulate(inst);
    let dual: Vec<f64> = model.rows.iter().map(|m| sol.constraints.iter().find(|c| c.name == m.name).unwrap().dual).collect();
    let mut adjustment = vec![0.0; inst.edges.len()];
    for (j, col) in model.matrix.outer_iterator().enumerate().take(model.n_edges) {
        for (r, &a) in col.iter() {
            if model.rows[r].kind != RowKind::Budget {
                adjustment[j] += dual[r] * a;
            }
        }
    }
    let mut x = vec![0.0; inst.edges.len()];
    for p in &sol.plan {
        let e = inst.edges.iter().position(|e| inst.segments[e.segment].id == p.segment && inst.items[e.item].id == p.item).unwrap();
        x[e] = p.impressions;
    }
    let multiplier = |e: usize| inst.items[inst.edges[e].item].campaign().map_or(1.0, |a| artifact.pacing[a].multiplier);
    let score: Vec<f64> = (0..inst.edges.len()).map(|e| agora_serving::score::score(edge_value(inst, e), adjustment[e], multiplier(e))).collect();
    let mut segments = Vec::new();
    for (s, seg) in inst.segments.iter().enumerate() {
        let edges: Vec<usize> = (0..inst.edges.len()).filter(|&e| inst.edges[e].segment == s).collect();
        let served: f64 = edges.iter().map(|&e| x[e]).sum();
        let unserved_rate = (1.0 - served / seg.supply).max(0.0);
        let unserved_rate = if unserved_rate < 1e-12 { 0.0 } else { unserved_rate };
        let unserved_score = -sol.constraints.iter().find(|c| c.name == format!("supply[{}]", seg.id)).map_or(0.0, |c| c.dual);
        let best = edges.iter().map(|&e| score[e]).fold(f64::NEG_INFINITY, f64::max);
        let mut gap = edges.iter().filter(|&&e| x[e] > 0.0).map(|&e| best - score[e]).fold(0.0, f64::max);
        if unserved_rate > 0.0 && best.is_finite() {
            gap = gap.max(best - unserved_score);
        }
        let scale = edges.iter().map(|&e| edge_value(inst, e).abs()).fold(1.0, f64::max);
        segments.push(SegmentRow { segment: seg.id.clone(), supply: seg.supply, unserved_rate, unserved_score, epsilon: gap + 1e-9 * scale });
    }
    (adjustment, segments)
}

#[test]
fn an_export_over_generated_columns_answers_as_the_whole_matrix_did() {
    for (name, inst, sol) in solved_days() {
        let artifact = build(&inst, HASH, &sol, &opts()).unwrap();
        let (adjustment, segments) = whole_matrix_reference(&inst, &sol, &artifact);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&artifact.edges.iter().map(|e| e.adjustment).collect::<Vec<_>>()), bits(&adjustment), "{name}: adjustments");
        assert_eq!(artifact.segments, segments, "{name}: segments");
        for (e, row) in artifact.edges.iter().enumerate() {
            let edge = &inst.edges[e];
            assert_eq!((row.segment.as_str(), row.item.as_str()), (inst.segments[edge.segment].id.as_str(), inst.items[edge.item].id.as_str()), "{name}");
            assert_eq!(row.campaign.as_deref(), inst.items[edge.item].campaign().map(|a| inst.campaigns[a].id.as_str()), "{name}");
            assert_eq!(row.value.to_bits(), edge_value(&inst, e).to_bits(), "{name}: value of edge {e}");
        }
    }
}

/// Every file of the artifact directory `dir`, with its bytes, sorted by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()).map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())).collect();
    v.sort();
    v
}

#[test]
fn streamed_files_are_the_rendered_ones_and_parquet_edges_read_back_as_csv() {
    let tmp = tempfile::tempdir().unwrap();
    for (k, (name, inst, sol)) in solved_days().into_iter().enumerate() {
        let export = check_export(&inst, HASH, &sol, &opts()).unwrap();
        let (csv_dir, parquet_dir) = (tmp.path().join(format!("csv{k}")), tmp.path().join(format!("parquet{k}")));
        write_parts(&export.parts(EdgesFormat::Csv), &csv_dir).unwrap();
        write_parts(&export.parts(EdgesFormat::Parquet), &parquet_dir).unwrap();
        let artifact = export.into_artifact();
        let mut rendered = artifact.render();
        rendered.sort();
        assert_eq!(files(&csv_dir), rendered, "{name}: streamed CSV files");

        let (from_csv, from_parquet) = (read_dir(&csv_dir).unwrap(), read_dir(&parquet_dir).unwrap());
        assert_eq!(from_csv.edges, artifact.edges, "{name}");
        assert_eq!(
            (&from_parquet.pacing, &from_parquet.adjustments, &from_parquet.segments),
            (&from_csv.pacing, &from_csv.adjustments, &from_csv.segments),
            "{name}"
        );
        assert_eq!(from_parquet.edges, from_csv.edges, "{name}: Parquet edges");
        let listed: Vec<&str> = from_parquet.manifest.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(listed, ["pacing.csv", "adjustments.csv", "segments.csv", "edges.parquet"], "{name}");
        let (mut a, mut b) = (from_csv.manifest.clone(), from_parquet.manifest.clone());
        (a.files, b.files) = (Vec::new(), Vec::new());
        assert_eq!(a, b, "{name}: manifests");
    }
}

/// The example day's artifact with Parquet edges, in `tmp`.
fn parquet_artifact(tmp: &Path) -> std::path::PathBuf {
    let inst = example();
    let sol = solve(&inst, &Settings::default()).unwrap().to_file(&inst);
    let dir = tmp.join("serving");
    write_parts(&check_export(&inst, HASH, &sol, &opts()).unwrap().parts(EdgesFormat::Parquet), &dir).unwrap();
    dir
}

/// Lists every data file's true hash and size in the manifest and checksum.sha256, as a careless
/// tool would after editing one.
fn fix_checksums(dir: &Path) {
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(MANIFEST)).unwrap()).unwrap();
    let mut sums = String::new();
    for f in manifest["files"].as_array_mut().unwrap() {
        let bytes = std::fs::read(dir.join(f["name"].as_str().unwrap())).unwrap();
        f["sha256"] = sha256_hex(&bytes).into();
        f["bytes"] = bytes.len().into();
        sums.push_str(&format!("{}  {}\n", sha256_hex(&bytes), f["name"].as_str().unwrap()));
    }
    let text = serde_json::to_string_pretty(&manifest).unwrap();
    sums.push_str(&format!("{}  {MANIFEST}\n", sha256_hex(text.as_bytes())));
    std::fs::write(dir.join(MANIFEST), text).unwrap();
    std::fs::write(dir.join(CHECKSUMS), sums).unwrap();
}

#[test]
fn a_damaged_parquet_edges_file_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = parquet_artifact(tmp.path());
    let path = dir.join(EDGES_PARQUET);
    let bytes = std::fs::read(&path).unwrap();

    // A changed byte: the checksum names the file.
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    let e = read_dir(&dir).unwrap_err();
    assert!(matches!(&e, ReadError::Checksum { path: p, .. } if p.ends_with(EDGES_PARQUET)), "{e}");

    // Truncated, or with trailing bytes, and the checksums made to match: the Parquet reader
    // refuses it, naming the file.
    for damaged in [bytes[..bytes.len() - 100].to_vec(), bytes[..bytes.len() / 2].to_vec(), [bytes.clone(), vec![0; 7]].concat()] {
        std::fs::write(&path, &damaged).unwrap();
        fix_checksums(&dir);
        let e = read_dir(&dir).unwrap_err();
        assert!(matches!(&e, ReadError::Parquet { .. }), "{e}");
        assert!(e.to_string().contains(EDGES_PARQUET), "{e}");
    }
}

#[test]
fn parquet_edges_are_validated_row_by_row_as_csv_lines_are() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = parquet_artifact(tmp.path());
    let read = read_dir(&dir).unwrap();
    let write = |rate_of_row_3: f64, columns: &[(&str, ColumnType)]| {
        let mut w = TableWriter::new(Vec::new(), columns).unwrap();
        let e = &read.edges;
        let mut rate: Vec<f64> = e.iter().map(|r| r.rate).collect();
        rate[2] = rate_of_row_3;
        let mut cols = vec![
            Column::Text(e.iter().map(|r| r.segment.as_str()).collect()),
            Column::Text(e.iter().map(|r| r.item.as_str()).collect()),
            Column::OptionalText(e.iter().map(|r| r.campaign.as_deref()).collect()),
            Column::Number(e.iter().map(|r| r.value).collect()),
            Column::Number(e.iter().map(|r| r.price).collect()),
            Column::Number(e.iter().map(|r| r.adjustment).collect()),
            Column::Number(rate),
        ];
        cols.truncate(columns.len());
        w.write_group(&cols).unwrap();
        std::fs::write(dir.join(EDGES_PARQUET), w.finish().unwrap()).unwrap();
        fix_checksums(&dir);
        read_dir(&dir)
    };
    let all: Vec<(&str, ColumnType)> = ["segment", "item", "campaign", "value", "price", "adjustment", "rate"]
        .into_iter()
        .zip([ColumnType::Text, ColumnType::Text, ColumnType::OptionalText, ColumnType::Number, ColumnType::Number, ColumnType::Number, ColumnType::Number])
        .collect();
    // The same rows written by another writer read back as they were.
    assert_eq!(write(read.edges[2].rate, &all).unwrap().edges, read.edges);
    // A rate out of range is refused naming the file, the row (1-based) and the field.
    let e = write(1.5, &all).unwrap_err();
    assert!(matches!(&e, ReadError::Field { line: 3, field: "rate", path, .. } if path.ends_with(EDGES_PARQUET)), "{e}");
    // A missing column is refused naming the columns.
    let e = write(0.0, &all[..6]).unwrap_err();
    assert!(matches!(&e, ReadError::Parquet { .. }) && e.to_string().contains("segment,item,campaign,value,price,adjustment,rate"), "{e}");
}

#[test]
fn an_artifact_lists_one_edges_file_and_holds_no_other() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = parquet_artifact(tmp.path());
    // An edges.csv beside edges.parquet, unlisted: refused.
    std::fs::write(dir.join("edges.csv"), "segment,item,campaign,value,price,adjustment,rate\n").unwrap();
    let e = read_dir(&dir).unwrap_err();
    assert!(matches!(&e, ReadError::Listing { .. }) && e.to_string().contains("edges.csv"), "{e}");
    // Listed as well: both may not be.
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(MANIFEST)).unwrap()).unwrap();
    manifest["files"].as_array_mut().unwrap().push(serde_json::json!({"name": "edges.csv", "sha256": "0", "bytes": 0}));
    std::fs::write(dir.join(MANIFEST), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    fix_checksums(&dir);
    let e = read_dir(&dir).unwrap_err();
    assert!(matches!(&e, ReadError::Listing { .. }) && e.to_string().contains("both"), "{e}");
}

#[test]
fn the_first_bad_plan_entry_in_plan_order_is_the_one_named() {
    let inst = example();
    let sol = solve(&inst, &Settings::default()).unwrap().to_file(&inst);
    // Known ids without an edge between them.
    let (seg, item) = inst
        .segments
        .iter()
        .enumerate()
        .flat_map(|(s, seg)| inst.items.iter().enumerate().map(move |(i, item)| (s, seg, i, item)))
        .find(|&(s, _, i, _)| !inst.edges.iter().any(|e| e.segment == s && e.item == i))
        .map(|(_, seg, _, item)| (seg.id.clone(), item.id.clone()))
        .unwrap();
    let missing = agora_solver::PlanEntry { segment: seg, item, impressions: 1.0 };
    let mut unknown_first = sol.clone();
    unknown_first.plan.insert(1, missing.clone());
    let dup = unknown_first.plan[0].clone();
    unknown_first.plan.push(dup.clone());
    assert!(matches!(build(&inst, HASH, &unknown_first, &opts()), Err(ExportError::UnknownEdge { .. })));
    let mut duplicate_first = sol.clone();
    duplicate_first.plan.insert(1, dup);
    duplicate_first.plan.push(missing);
    assert!(matches!(build(&inst, HASH, &duplicate_first, &opts()), Err(ExportError::DuplicateEdge { .. })));
    let mut not_finite = sol.clone();
    not_finite.plan[0].impressions = f64::NAN;
    assert!(matches!(build(&inst, HASH, &not_finite, &opts()), Err(ExportError::NotFinite { .. })));
}
