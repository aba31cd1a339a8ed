//! `agora report` end to end: the files it writes, what it prints, what it refuses.

mod common;

use common::*;

use serde_json::Value;

const FILES: [&str; 5] = ["report.json", "lorenz.svg", "topic_mix.svg", "shadow_prices.svg", "rule_prices.svg"];

#[test]
fn report_on_the_example_day() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve(&example(), dir.path(), "solution.json");
    let out = dir.path().join("report");
    let o = agora(&["report", &example(), s(&sol), "--out", s(&out), "--top", "5"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let stdout = text(&o.stdout);
    for section in ["Overall", "Segments", "Price of each rule", "Content gaps", "creator Gini", "effective catalog size"] {
        assert!(stdout.contains(section), "{section} missing from\n{stdout}");
    }
    for f in FILES {
        assert!(out.join(f).is_file(), "{f} not written");
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["schema"], "agora.report/v1");
    assert_eq!(report["instance"], "example-day");
    let solution: Value = serde_json::from_str(&std::fs::read_to_string(&sol).unwrap()).unwrap();
    // Rounded to 12 significant digits.
    let (a, b) = (report["objective"].as_f64().unwrap(), solution["objective"].as_f64().unwrap());
    assert!((a - b).abs() <= 1e-11 * b.abs(), "{a} vs {b}");
    // 9 rules, 6 segments x 5 organic topics.
    assert_eq!(report["constraint_prices"].as_array().unwrap().len(), 9);
    assert_eq!(report["gaps"].as_array().unwrap().len(), 30);
    for f in &FILES[1..] {
        let svg = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{f}");
    }
    // The same report as one page (its rendering is checked in a browser in tests/browser.rs).
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("What binds"), "index.html");
    // Nothing but the report directory is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // A second report replaces a previous report's directory as a whole...
    let o = agora(&["report", &example(), s(&sol), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(out.join("report.json").is_file());
    // ...but never a directory holding anything else (a mistyped --out must not delete it).
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = agora(&["report", &example(), s(&sol), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("notes.txt"), "{}", text(&o.stderr));
    assert!(out.join("notes.txt").is_file() && out.join("report.json").is_file());
}

#[test]
fn refuses_a_solution_of_another_instance() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny.json");
    let o = agora(&["generate", "--size", "tiny", "--seed", "3", "--out", s(&tiny)]);
    assert_eq!(o.status.code(), Some(0));
    let sol = solve(s(&tiny), dir.path(), "tiny-solution.json");
    let out = dir.path().join("report");
    let o = agora(&["report", &example(), s(&sol), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(err.contains("tiny-solution.json") && err.contains("example-day") && err.contains("is of instance"), "{err}");
    assert!(!out.exists(), "no report for a refused solution");
}

#[test]
fn refuses_a_non_optimal_or_broken_solution() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve(&example(), dir.path(), "solution.json");
    let text_sol = std::fs::read_to_string(&sol).unwrap();
    let out = dir.path().join("report");

    let bad = dir.path().join("infeasible.json");
    std::fs::write(&bad, text_sol.replacen("\"status\": \"optimal\"", "\"status\": \"time_limit\"", 1)).unwrap();
    let o = agora(&["report", &example(), s(&bad), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("status is time_limit"), "{}", text(&o.stderr));

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, &text_sol[..text_sol.len() / 2]).unwrap();
    let o = agora(&["report", &example(), s(&broken), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("broken.json"), "{}", text(&o.stderr));
    assert!(!out.exists());
}

#[test]
fn gap_profile_flag() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve(&example(), dir.path(), "solution.json");
    let out = dir.path().join("served");
    let o = agora(&["report", &example(), s(&sol), "--out", s(&out), "--gap-profile", "served"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("profile served"));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["gap_profile"], "served");
    let o = agora(&["report", &example(), s(&sol), "--out", s(&out), "--gap-profile", "best"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("unknown gap profile"), "{}", text(&o.stderr));
}

#[test]
fn an_audit_adds_the_incentive_section() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve(&example(), dir.path(), "solution.json");
    let audit = dir.path().join("audit.json");
    let o = agora(&["audit", &example(), "--out", s(&audit)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = dir.path().join("report");
    let o = agora(&["report", &example(), s(&sol), "--audit", s(&audit), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&audit).unwrap()).unwrap();
    // The audit's checks and trials, as the audit wrote them.
    assert_eq!(doc["incentives"]["checks"].as_array().unwrap().len(), written["checks"].as_array().unwrap().len());
    assert_eq!(doc["incentives"]["trials"].as_array().unwrap().len(), written["trials"].as_array().unwrap().len());
    for (a, b) in doc["incentives"]["checks"].as_array().unwrap().iter().zip(written["checks"].as_array().unwrap()) {
        for f in ["property", "verdict", "trials", "non_trivial", "worst_violation"] {
            assert_eq!(a[f], b[f], "{f}");
        }
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h2 id=\"incentives\"") || html.contains("id=\"incentives\""), "no incentive section");
    // Without --audit there is none.
    let plain = dir.path().join("plain");
    let o = agora(&["report", &example(), s(&sol), "--out", s(&plain)]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(plain.join("report.json")).unwrap()).unwrap();
    assert!(doc.get("incentives").is_none());
    assert!(!std::fs::read_to_string(plain.join("index.html")).unwrap().contains("id=\"incentives\""));
}

#[test]
fn the_audit_is_checked_like_the_other_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let sol = solve(&example(), dir.path(), "solution.json");
    let audit = dir.path().join("audit.json");
    assert_eq!(agora(&["audit", &example(), "--out", s(&audit)]).status.code(), Some(0));
    let before = std::fs::read(&audit).unwrap();
    // --out is the audit file itself.
    let o = agora(&["report", &example(), s(&sol), "--audit", s(&audit), "--out", s(&audit)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("is an input of this command"), "{}", text(&o.stderr));
    // --out is a directory that holds the audit.
    let inside = dir.path().join("report");
    std::fs::create_dir(&inside).unwrap();
    let moved = inside.join("audit.json");
    std::fs::copy(&audit, &moved).unwrap();
    let o = agora(&["report", &example(), s(&sol), "--audit", s(&moved), "--out", s(&inside)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("holds") && text(&o.stderr).contains("an input of this command"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&moved).unwrap(), before, "the audit is untouched");
    assert_eq!(std::fs::read_dir(&inside).unwrap().count(), 1, "nothing was written");
    // An audit of another day, and a file that is no audit, are refused by name.
    let tiny = dir.path().join("tiny.json");
    assert_eq!(agora(&["generate", "--size", "tiny", "--seed", "3", "--out", s(&tiny)]).status.code(), Some(0));
    let other = dir.path().join("other-audit.json");
    assert_eq!(agora(&["audit", s(&tiny), "--trials", "1", "--out", s(&other)]).status.code(), Some(0));
    let out = dir.path().join("out");
    let o = agora(&["report", &example(), s(&sol), "--audit", s(&other), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("other-audit.json") && text(&o.stderr).contains("the audit is of instance"), "{}", text(&o.stderr));
    let o = agora(&["report", &example(), s(&sol), "--audit", s(&sol), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("solution.json") && text(&o.stderr).contains("agora.audit/v2"), "{}", text(&o.stderr));
    assert!(!out.exists());
}
