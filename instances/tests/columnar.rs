//! Columnar instances: an `edges_file` CSV instead of inline edges, written by the generator for
//! large days; the loader's errors name the file, the line and the field.

use std::path::Path;

use agora_instances::columnar::save_columnar;
use agora_instances::{generate, load, GenerateConfig, Size};

fn write(dir: &Path, json: &str, csv: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("day.edges.csv"), csv).unwrap();
    let path = dir.join("day.json");
    std::fs::write(&path, json).unwrap();
    path
}

/// A day with two segments and one organic and one ad item, edges in `day.edges.csv`.
const HEAD: &str = r#"{"schema": "agora.instance/v1", "name": "d", "edges_file": "day.edges.csv",
  "segments": [{"id": "s1", "supply": 100}, {"id": "s,2", "supply": 50}],
  "creators": [{"id": "c"}], "campaigns": [{"id": "a", "budget": 1}],
  "items": [{"id": "i", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
            {"id": "ad", "campaign": "a", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}]}"#;

#[test]
fn a_generated_day_round_trips_through_the_columnar_form() {
    let dir = tempfile::tempdir().unwrap();
    let day = generate(Size::Small, 3);
    let path = dir.path().join("small.json");
    let csv = save_columnar(&day, &path).unwrap();
    assert_eq!(csv, dir.path().join("small.edges.csv"));
    let json = std::fs::read_to_string(&path).unwrap();
    assert!(json.contains("\"edges_file\": \"small.edges.csv\"") && !json.contains("\"engagement\": 0."), "edges are not inlined");
    let back = load(&path).unwrap();
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(back.instance, day, "bit-exact round trip");
}

#[test]
fn quoted_ids_and_optional_columns_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "item,segment,engagement,price,cap\ni,s1,0.1,,\nad,\"s,2\",0.2,0.01,30\n";
    let inst = load(write(dir.path(), HEAD, csv)).unwrap().instance;
    assert_eq!(inst.edges.len(), 2);
    assert_eq!((inst.edges[1].segment, inst.edges[1].item, inst.edges[1].price, inst.edges[1].cap), (1, 1, 0.01, Some(30.0)));
    assert_eq!((inst.edges[0].price, inst.edges[0].cap), (0.0, None));
}

#[test]
fn every_bad_line_is_reported_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "segment,item,engagement,price\n\
               s9,i,0.1,0\n\
               s1,i,-1,0\n\
               s1,ad,0.1,abc\n\
               s1,i,0.1\n\
               s1,i,0.1,0.5\n\
               s1,ad,0.1,0.01\n\
               s1,ad,0.2,0.01\n";
    let err = load(write(dir.path(), HEAD, csv)).unwrap_err().to_string();
    for want in [
        "day.edges.csv",
        "line 2, field \"segment\": unknown segment \"s9\"",
        "line 3, field \"engagement\": must be >= 0",
        "line 4, field \"price\": not a number",
        "line 5: has 3 fields, the header 4",
        "line 6, field \"price\": must be 0 on an organic item's edge",
        "duplicate edge s1 -> ad",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

#[test]
fn header_mistakes_missing_files_and_mixed_forms_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(write(dir.path(), HEAD, "segment,item,clicks\n")).unwrap_err().to_string();
    assert!(err.contains("field \"engagement\": column is missing") && err.contains("unknown column \"clicks\""), "{err}");
    let path = dir.path().join("day.json");
    std::fs::remove_file(dir.path().join("day.edges.csv")).unwrap();
    let err = load(&path).unwrap_err().to_string();
    assert!(err.contains("day.edges.csv") && err.contains("cannot read"), "{err}");
    let mixed = HEAD.replace("\"edges_file\"", "\"edges\": [{\"segment\": \"s1\", \"item\": \"i\", \"engagement\": 1}], \"edges_file\"");
    std::fs::write(&path, mixed).unwrap();
    let err = load(&path).unwrap_err().to_string();
    assert!(err.contains("day.json") && err.contains("edges_file") && err.contains("inline"), "{err}");
}

#[test]
fn the_edge_count_configuration_is_close_to_its_target() {
    let inst = agora_instances::generate_with(&GenerateConfig::for_edges(50_000), 1);
    let n = inst.edges.len() as f64;
    assert!((0.7..=1.3).contains(&(n / 50_000.0)), "{n} edges");
}

#[test]
fn estimated_edges_round_trip_through_the_columnar_form_and_bad_cells_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut day = generate(Size::Tiny, 3);
    day.evidence = (0..day.edges.len())
        .map(|e| {
            let g = day.edges[e].engagement;
            agora_instances::Evidence { n: e as u64 * 3, lcb: g * 0.5, ucb: g * 1.5 }
        })
        .collect();
    let path = dir.path().join("est.json");
    save_columnar(&day, &path).unwrap();
    let back = load(&path).unwrap().instance;
    assert_eq!(back.evidence, day.evidence);
    assert_eq!(back, day);
    // Cells default like the JSON fields; a bad one is named by line and column.
    let d2 = write(dir.path(), HEAD, "segment,item,engagement,n,engagement_lcb,engagement_ucb\ns1,i,0.1,,,\n\"s,2\",i,0.1,4,0.05,\n");
    let ok = load(&d2).unwrap().instance;
    assert_eq!((ok.evidence[0].n, ok.evidence[0].lcb, ok.evidence[0].ucb), (0, 0.1, 0.1));
    assert_eq!((ok.evidence[1].n, ok.evidence[1].lcb, ok.evidence[1].ucb), (4, 0.05, 0.1));
    let bad = write(dir.path(), HEAD, "segment,item,engagement,n,engagement_lcb\ns1,i,0.1,2.5,0.05\ns1,ad,0.2,1,0.3\n");
    let err = load(&bad).unwrap_err().to_string();
    assert!(err.contains("line 2, field \"n\": must be a whole number >= 0, got \"2.5\""), "{err}");
    assert!(err.contains("line 3, field \"engagement_lcb\": must be <= engagement (0.2), got 0.3"), "{err}");
}

#[test]
fn parquet_edges_give_the_same_day_as_csv_and_name_row_and_column() {
    use agora_instances::columnar::{save_columnar_as, EdgesFormat};
    let dir = tempfile::tempdir().unwrap();
    let mut day = generate(Size::Small, 3);
    // Caps on some edges (a nullable column) and evidence (the optional columns).
    for (k, e) in day.edges.iter_mut().enumerate() {
        if k % 7 == 0 {
            e.cap = Some(100.0 + k as f64);
        }
    }
    for evidence in [false, true] {
        if evidence {
            day.evidence = (0..day.edges.len())
                .map(|e| agora_instances::Evidence { n: e as u64, lcb: day.edges[e].engagement * 0.9, ucb: day.edges[e].engagement * 1.1 })
                .collect();
        }
        let csv = dir.path().join("c.json");
        let pq = dir.path().join("p.json");
        save_columnar_as(&day, &csv, EdgesFormat::Csv).unwrap();
        let written = save_columnar_as(&day, &pq, EdgesFormat::Parquet).unwrap();
        assert_eq!(written, dir.path().join("p.edges.parquet"));
        let (a, b) = (load(&csv).unwrap().instance, load(&pq).unwrap().instance);
        assert_eq!(a, b);
        assert_eq!(b, day);
    }
    // A Parquet file whose rows break the day: an unknown item and a negative engagement.
    let mut bad = generate(Size::Tiny, 1);
    bad.items[0].id = "not-in-the-day".into();
    bad.edges[2].engagement = -1.0;
    bad.evidence.clear();
    let bad_path = dir.path().join("bad.json");
    save_columnar_as(&bad, &bad_path, EdgesFormat::Parquet).unwrap();
    // Point the real day's head at the bad rows.
    let good = generate(Size::Tiny, 1);
    let mut head = agora_instances::InstanceFile::from(&good.without_edges());
    head.edges = None;
    head.edges_file = Some("bad.edges.parquet".into());
    let path = dir.path().join("head.json");
    std::fs::write(&path, serde_json::to_string(&head).unwrap()).unwrap();
    let err = load(&path).unwrap_err().to_string();
    assert!(err.contains("bad.edges.parquet"), "{err}");
    assert!(err.contains("field \"item\": unknown item \"not-in-the-day\""), "{err}");
    assert!(err.contains("row 3, field \"engagement\": must be >= 0, got -1"), "{err}");
    // Not a Parquet file at all.
    std::fs::write(dir.path().join("bad.edges.parquet"), "segment,item\n").unwrap();
    let err = load(&path).unwrap_err().to_string();
    assert!(err.contains("is not a Parquet file (it does not end in \"PAR1\")"), "{err}");
}

/// Writes a Parquet file of `schema` with one row group: `write(column index, writer)`.
fn parquet_file(path: &Path, schema: &str, mut write: impl FnMut(usize, &mut parquet::column::writer::ColumnWriter<'_>)) {
    use parquet::file::writer::SerializedFileWriter;
    let schema = std::sync::Arc::new(parquet::schema::parser::parse_message_type(schema).unwrap());
    let mut w = SerializedFileWriter::new(std::fs::File::create(path).unwrap(), schema, Default::default()).unwrap();
    let mut group = w.next_row_group().unwrap();
    let mut c = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        write(c, col.untyped());
        col.close().unwrap();
        c += 1;
    }
    group.close().unwrap();
    w.close().unwrap();
}

/// The typed reader: integer ids, float and integer numbers, nulls, and what it refuses.
const NUMERIC_HEAD: &str = r#"{"schema": "agora.instance/v1", "name": "d", "edges_file": "day.edges.parquet",
  "segments": [{"id": "7", "supply": 100}, {"id": "8", "supply": 50}],
  "creators": [{"id": "c"}], "campaigns": [{"id": "a", "budget": 1}],
  "items": [{"id": "100", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
            {"id": "200", "campaign": "a", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}]}"#;

#[test]
fn parquet_columns_of_any_numeric_type_read_as_their_values() {
    use parquet::column::writer::ColumnWriter::*;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("day.json"), NUMERIC_HEAD).unwrap();
    let pq = dir.path().join("day.edges.parquet");
    let schema = "message e { required int64 segment; required int32 item; required float engagement; optional int32 price; optional double cap; }";
    parquet_file(&pq, schema, |c, w| match (c, w) {
        (0, Int64ColumnWriter(w)) => drop(w.write_batch(&[7, 7, 8], None, None).unwrap()),
        (1, Int32ColumnWriter(w)) => drop(w.write_batch(&[100, 200, 100], None, None).unwrap()),
        (2, FloatColumnWriter(w)) => drop(w.write_batch(&[0.5, 0.25, 0.125], None, None).unwrap()),
        (3, Int32ColumnWriter(w)) => drop(w.write_batch(&[2], Some(&[0, 1, 0]), None).unwrap()),
        (4, DoubleColumnWriter(w)) => drop(w.write_batch(&[30.5], Some(&[0, 0, 1]), None).unwrap()),
        (c, _) => panic!("column {c}"),
    });
    let day = load(dir.path().join("day.json")).unwrap().instance;
    let got: Vec<(usize, usize, f64, f64, Option<f64>)> = day.edges.iter().map(|e| (e.segment, e.item, e.engagement, e.price, e.cap)).collect();
    assert_eq!(got, vec![(0, 0, 0.5, 0.0, None), (0, 1, 0.25, 2.0, None), (1, 0, 0.125, 0.0, Some(30.5))]);

    // A null where a value is required is missing, by row and column; a price on an organic
    // edge is refused as in CSV.
    parquet_file(
        &pq,
        "message e { required binary segment (UTF8); required binary item (UTF8); optional double engagement; required double price; }",
        |c, w| match (c, w) {
            (0, ByteArrayColumnWriter(w)) => drop(w.write_batch(&["7".into(), "8".into()], None, None).unwrap()),
            (1, ByteArrayColumnWriter(w)) => drop(w.write_batch(&["100".into(), "100".into()], None, None).unwrap()),
            (2, DoubleColumnWriter(w)) => drop(w.write_batch(&[0.5], Some(&[0, 1]), None).unwrap()),
            (3, DoubleColumnWriter(w)) => drop(w.write_batch(&[0.0, 1.0], None, None).unwrap()),
            (c, _) => panic!("column {c}"),
        },
    );
    let err = load(dir.path().join("day.json")).unwrap_err().to_string();
    assert!(err.contains("row 1, field \"engagement\": is missing"), "{err}");
    assert!(err.contains("row 2, field \"price\": must be 0 on an organic item's edge, got 1"), "{err}");

    // A boolean column is named, before any row is read.
    parquet_file(
        &pq,
        "message e { required binary segment (UTF8); required binary item (UTF8); required double engagement; required boolean fresh; }",
        |c, w| match (c, w) {
            (0 | 1, ByteArrayColumnWriter(w)) => drop(w.write_batch(&["7".into()], None, None).unwrap()),
            (2, DoubleColumnWriter(w)) => drop(w.write_batch(&[0.5], None, None).unwrap()),
            (3, BoolColumnWriter(w)) => drop(w.write_batch(&[true], None, None).unwrap()),
            (c, _) => panic!("column {c}"),
        },
    );
    let err = load(dir.path().join("day.json")).unwrap_err().to_string();
    assert!(err.contains("day.edges.parquet") && err.contains("column, field \"fresh\": has type BOOLEAN, a type agora does not read"), "{err}");
}
