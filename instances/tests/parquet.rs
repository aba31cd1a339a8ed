//! The Parquet reader against files of an independent writer: `fixtures/parquet/` holds the tiny
//! day's edges written by the parquet crate (arrow-rs) with its real compressors (gzip, zstd,
//! Brotli, LZ4, LZ4_RAW, Snappy, none), in version-1 and version-2 data pages, several pages and
//! row groups per file, dictionary-encoded ids; and a file of typed columns whose values are
//! known. `fixtures/parquet/writer.rs.txt` is the program that wrote them (a crate of its own,
//! `parquet = "=60.1.0"` with every codec feature; agora itself reads them without those
//! features). The day's edges are also in `tiny.edges.csv`, read by the CSV reader as the
//! reference.

use std::path::{Path, PathBuf};

use agora_instances::load;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parquet")
}

/// The tiny day with its edges from `edges` (a fixture), in a directory of its own.
fn day_over(dir: &Path, edges: &str) -> PathBuf {
    std::fs::copy(fixtures().join(edges), dir.join(edges)).unwrap();
    let text = std::fs::read_to_string(fixtures().join("tiny.json")).unwrap();
    let path = dir.join(format!("{edges}.json"));
    std::fs::write(&path, text.replace("\"tiny.edges.csv\"", &format!("\"{edges}\""))).unwrap();
    path
}

#[test]
fn every_codec_and_page_version_of_an_independent_writer_reads_as_the_csv() {
    let reference = load(fixtures().join("tiny.json")).unwrap().instance;
    assert_eq!(reference.edges.len(), 43);
    assert!(reference.edges.iter().any(|e| e.cap.is_some()) && reference.edges.iter().any(|e| e.cap.is_none()));
    let dir = tempfile::tempdir().unwrap();
    let mut read = 0;
    for codec in ["gzip", "zstd", "brotli", "lz4", "lz4_raw", "snappy", "uncompressed"] {
        for version in ["", "-v2"] {
            let name = format!("tiny-{codec}{version}.edges.parquet");
            let day = load(day_over(dir.path(), &name)).unwrap_or_else(|e| panic!("{name}: {e}")).instance;
            assert_eq!(day.edges, reference.edges, "{name}");
            read += 1;
        }
    }
    assert_eq!(read, 14);
}

#[test]
fn typed_columns_read_as_their_declared_values() {
    // segment int64 [7, 7, 8]; item int32 [100, 200, 100]; engagement int32 DECIMAL(9,4)
    // [5000, 2500, 1]; price int64 DECIMAL(18,2) [0, 1234, 0]; cap optional int32 UINT_32
    // [3e9, null, -1 as u32]; n int64 UINT_64 [0, 3, 5]; zstd.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("typed.edges.parquet"), dir.path().join("typed.edges.parquet")).unwrap();
    let head = r#"{"schema": "agora.instance/v1", "name": "d", "edges_file": "typed.edges.parquet",
      "segments": [{"id": "7", "supply": 100}, {"id": "8", "supply": 50}],
      "creators": [{"id": "c"}], "campaigns": [{"id": "a", "budget": 1}],
      "items": [{"id": "100", "creator": "c", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false},
                {"id": "200", "campaign": "a", "topic": "t", "quality": 0.5, "risk": 0, "fresh": false}]}"#;
    std::fs::write(dir.path().join("d.json"), head).unwrap();
    let day = load(dir.path().join("d.json")).unwrap().instance;
    let got: Vec<(usize, usize, f64, f64, Option<f64>)> = day.edges.iter().map(|e| (e.segment, e.item, e.engagement, e.price, e.cap)).collect();
    assert_eq!(got, vec![(0, 0, 0.5, 0.0, Some(3e9)), (0, 1, 0.25, 12.34, None), (1, 0, 0.0001, 0.0, Some(4294967295.0))]);
    let n: Vec<u64> = day.evidence.iter().map(|v| v.n).collect();
    assert_eq!(n, [0, 3, 5]);
}

#[test]
fn the_same_bytes_read_from_memory_as_from_the_file() {
    let reference = load(fixtures().join("tiny.json")).unwrap().instance;
    let head = reference.without_edges();
    let bytes = std::fs::read(fixtures().join("tiny-zstd.edges.parquet")).unwrap();
    let (edges, evidence) = agora_instances::columnar::parquet::read_edges_parquet_bytes(&bytes, Path::new("m.parquet"), &head).unwrap();
    assert_eq!(edges, reference.edges);
    assert!(evidence.is_empty());
    // Every prefix of the file is refused with a sentence (none panics, none reads).
    for cut in (0..bytes.len()).step_by(97) {
        let err = agora_instances::columnar::parquet::read_edges_parquet_bytes(&bytes[..cut], Path::new("m.parquet"), &head).unwrap_err().to_string();
        assert!(err.contains("m.parquet"), "{cut}: {err}");
    }
}
