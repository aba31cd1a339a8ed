//! `agora frontier` end to end: the three files, their agreement, errors and exit codes.

mod common;

use common::*;

use serde_json::Value;

#[test]
fn a_floor_sweep_writes_json_csv_and_svg_that_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("floor");
    let o = agora(&["frontier", &example(), "--sweep", "new-creator-exposure.min=0..1000000", "--points", "41", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    // No progress bar when stderr is not a terminal.
    assert!(text(&o.stderr).is_empty(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("41 points"), "{}", text(&o.stdout));

    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("frontier.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "agora.frontier/v1");
    assert_eq!(json["instance"], "example-day");
    assert_eq!(json["sweeps"][0], serde_json::json!({"param": "new-creator-exposure.min", "from": 0.0, "to": 1000000.0, "points": 41}));
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 41);
    let csv = std::fs::read_to_string(out.join("frontier.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 42);
    let col = |name: &str| rows[0].iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    for (i, p) in points.iter().enumerate() {
        let r = &rows[i + 1];
        assert_eq!(r[col("status")], p["status"].as_str().unwrap());
        assert_eq!(r[col("new-creator-exposure.min")].parse::<f64>().unwrap(), p["values"]["new-creator-exposure.min"].as_f64().unwrap());
        match p["objective"].as_f64() {
            Some(o) => {
                assert_eq!(r[col("objective")].parse::<f64>().unwrap(), o);
                let slope = p["shadow_prices"]["new-creator-exposure.min"].as_f64().unwrap();
                assert_eq!(r[col("shadow_price[new-creator-exposure.min]")].parse::<f64>().unwrap(), slope);
                // A floor costs: its slope is never positive.
                assert!(slope <= 1e-12);
                assert_eq!(r[col("metric.ad_load")].parse::<f64>().unwrap(), p["metrics"]["ad_load"].as_f64().unwrap());
            }
            None => {
                assert_eq!(p["status"], "infeasible");
                assert!(r[col("objective")].is_empty() && r[col("term.engagement")].is_empty());
            }
        }
        assert_eq!(r[col("efficient")], p["efficient"].to_string());
    }
    // The floor beyond the day's total supply (942,700) cannot be met.
    assert_eq!(points[40]["status"], "infeasible");
    assert!(points[40]["objective"].is_null());
    let knee = json["knee"].as_u64().expect("a knee") as usize;
    assert_eq!(rows[knee + 1][col("knee")], "true");
    assert_eq!(rows.iter().skip(1).filter(|r| r[col("knee")] == "true").count(), 1);

    let svg = std::fs::read_to_string(out.join("frontier.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("new-creator-exposure.min (impressions/day)"));
    assert!(svg.contains("optimal objective"));
    assert!(svg.contains("infeasible: no value"));
    assert!(svg.contains("knee: new-creator-exposure.min"));
    // Nothing but the four files (the page is checked in a browser in tests/browser.rs), no
    // temporary directory left beside them.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A second run replaces the previous output.
    let o = agora(&["frontier", &example(), "--sweep", "ad-load.max_share=0.1..0.3", "--points", "3", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("frontier.json")).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 3);
}

#[test]
fn a_grid_of_two_sweeps() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid");
    let o = agora(&[
        "frontier",
        &example(),
        "--sweep",
        "ad-load.max_share=0.1..0.3",
        "--points",
        "3",
        "--sweep",
        "objective.revenue=0..20",
        "--points",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("frontier.json")).unwrap()).unwrap();
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 6);
    assert!(json["knee"].is_null());
    assert_eq!(points[3]["values"], serde_json::json!({"ad-load.max_share": 0.2, "objective.revenue": 20.0}));
    // The revenue weight's slope is the plan's revenue (its unweighted term).
    for p in points {
        assert_eq!(p["shadow_prices"]["objective.revenue"], p["metrics"]["revenue"]);
    }
}

#[test]
fn errors_name_the_problem_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f");
    let run = |args: &[&str]| {
        let mut v: Vec<String> = vec!["frontier".into(), example()];
        v.extend(args.iter().map(|s| s.to_string()));
        v.extend(["--out".to_string(), out.display().to_string()]);
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        agora(&refs)
    };
    let o = run(&["--sweep", "ad-load.max_shar=0.1..0.2", "--points", "3"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.contains("unknown parameter \"ad-load.max_shar\"") && e.contains("valid parameters") && e.contains("ad-load.max_share"), "{e}");
    let o = run(&["--sweep", "ad-load.max_share:0.1..0.2", "--points", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("PARAM=FROM..TO"), "{}", text(&o.stderr));
    let o = run(&["--sweep", "ad-load.max_share=0.1..0.2", "--points", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("at least 2"), "{}", text(&o.stderr));
    let o = run(&["--sweep", "ad-load.max_share=0.1..2", "--points", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("max_share"), "{}", text(&o.stderr));
    let o = run(&["--sweep", "ad-load.max_share=0.1..0.2", "--points", "3", "--points", "4", "--points", "5"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["--sweep", "ad-load.max_share=0.1..0.2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // A directory that holds other files is never replaced.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = run(&["--sweep", "ad-load.max_share=0.1..0.2", "--points", "3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("notes.txt"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn no_optimal_point_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f");
    let o = agora(&["frontier", &example(), "--sweep", "new-creator-exposure.min=2000000..3000000", "--points", "2", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("no point of the frontier is optimal"));
    // The files still say so.
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("frontier.json")).unwrap()).unwrap();
    assert!(json["points"].as_array().unwrap().iter().all(|p| p["status"] == "infeasible" && p["objective"].is_null()));
}

#[test]
fn help_has_an_example() {
    let o = agora(&["frontier", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("Example") && text(&o.stdout).contains("--sweep"));
}
