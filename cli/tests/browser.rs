//! The HTML pages in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `make deps`) opens the bundled day's report, a frontier, a horizon and an experiment from
//! `file://`, runs
//! their script, and the tests check what it rendered:
//!
//! - the console holds the page's ready line and nothing else (no error, no warning, no
//!   uncaught exception);
//! - every number on the page (`data-key`, a JSON Pointer) has the exact value its JSON file
//!   holds there, and its text shows that value to the digits it prints;
//! - every chart is inline SVG, nothing is fetched from the network;
//! - a screenshot of the report is written to `target/tmp/report-screenshot.png`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

/// The browser, or a failure that says how to get it (these tests never skip silently).
fn chromium() -> String {
    let bin = std::env::var("AGORA_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    match Command::new(&bin).arg("--version").output() {
        Ok(o) if o.status.success() => bin,
        _ => panic!("`{bin}` not found: the browser tests need Debian's chromium (`make deps` installs it, or set AGORA_CHROMIUM)"),
    }
}

/// Runs headless Chromium on `page` with `args`, in a fresh profile; returns its standard error.
fn headless(page: &Path, args: &[&str], profile: &Path) -> (String, String) {
    let o = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium failed on {}: {}", page.display(), text(&o.stderr));
    (text(&o.stdout), text(&o.stderr))
}

/// A fresh directory under the target directory (kept after the test, for a look).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One `<span class="num" ...>TEXT</span>` of the rendered DOM.
#[derive(Debug)]
struct Number {
    key: String,
    value: f64,
    scale: f64,
    format: String,
    text: String,
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\""))
}

fn numbers(dom: &str) -> Vec<Number> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(k) = rest.find("<span class=\"num\"") {
        rest = &rest[k..];
        let close = rest.find('>').unwrap();
        let tag = &rest[..close];
        let end = rest.find("</span>").unwrap();
        out.push(Number {
            key: attribute(tag, "data-key").expect("data-key"),
            value: attribute(tag, "data-value").expect("data-value").parse().expect("data-value is a number"),
            scale: attribute(tag, "data-scale").map_or(1.0, |s| s.parse().unwrap()),
            format: attribute(tag, "data-format").expect("data-format"),
            text: rest[close + 1..end].to_string(),
        });
        rest = &rest[end..];
    }
    out
}

/// The shown text as a number, and half a unit of its last printed digit.
fn shown(n: &Number) -> (f64, f64) {
    let t = n.text.replace(',', "");
    let (t, factor) = match t.strip_suffix('%') {
        Some(t) => (t.to_string(), 0.01),
        None => (t, 1.0),
    };
    let v: f64 = t.parse().unwrap_or_else(|_| panic!("{}: text {:?} is not a number", n.key, n.text));
    let half_unit = match t.split_once('e') {
        Some((mantissa, exp)) => {
            let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
            0.5 * 10f64.powi(exp.parse::<i32>().unwrap() - decimals)
        }
        None => 0.5 * 10f64.powi(-(t.split_once('.').map_or(0, |(_, f)| f.len()) as i32)),
    };
    (v * factor, half_unit * factor)
}

/// Renders `page` headless and checks it against `json` (the file it was built from); returns
/// the numbers it shows, by JSON Pointer.
fn check_page(page: &Path, json: &Value, profile: &Path) -> Vec<Number> {
    let (dom, log) = headless(page, &["--dump-dom", "--virtual-time-budget=5000"], profile);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert_eq!(console.len(), 1, "the console must hold the ready line and nothing else:\n{}", console.join("\n"));
    assert!(console[0].contains("\"agora page ready\""), "{}", console[0]);
    assert!(dom.contains("data-ready=\"1\""), "the page's script did not run");
    assert!(!dom.contains("<img") && !dom.contains("<link") && !dom.contains("src=\""), "a self-contained page loads nothing");
    let nums = numbers(&dom);
    assert!(!nums.is_empty(), "no tagged numbers on {}", page.display());
    for n in &nums {
        let expected = json.pointer(&n.key).and_then(Value::as_f64).unwrap_or_else(|| panic!("{}: no number at {} in the JSON", page.display(), n.key));
        assert_eq!(n.value, expected, "{}: {} on the page is {}, in the JSON {}", page.display(), n.key, n.value, expected);
        let (v, half) = shown(n);
        let want = expected * n.scale;
        assert!(
            (v - want).abs() <= half * 1.000001 + 1e-12 * want.abs(),
            "{}: {} shows {:?} ({}), the value is {want}",
            page.display(),
            n.key,
            n.text,
            n.format
        );
    }
    nums
}

#[test]
fn the_report_page_renders_in_chromium_with_the_numbers_of_report_json() {
    let dir = scratch("browser-report");
    let sol = solve(&example(), &dir, "solution.json");
    let out = dir.join("report");
    let o = agora(&["report", &example(), s(&sol), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let page = out.join("index.html");
    let nums = check_page(&page, &report, &dir.join("profile-dom"));

    // The page shows every rule's price, every gap's value, every binding row's shadow price.
    let keys: std::collections::HashSet<&str> = nums.iter().map(|n| n.key.as_str()).collect();
    let count = |list: &str, field: &str| {
        let n = report[list].as_array().unwrap().len();
        (0..n).filter(|k| keys.contains(format!("/{list}/{k}/{field}").as_str())).count()
    };
    assert_eq!(count("constraint_prices", "price"), 9);
    assert_eq!(count("gaps", "value"), report["gaps"].as_array().unwrap().len());
    assert_eq!(count("binding_rules", "shadow_price"), report["binding_rules"].as_array().unwrap().len());
    for k in ["/objective", "/overall/revenue", "/overall/creator_gini", "/overall/budgets/0/spend", "/overall/floors/0/achieved"] {
        assert!(keys.contains(k), "{k} is not on the page");
    }
    let html = std::fs::read_to_string(&page).unwrap();
    for chart in ["lorenz.svg", "topic_mix.svg", "shadow_prices.svg", "rule_prices.svg"] {
        let at = html.find(&format!("<figure data-chart=\"{chart}\"><svg")).unwrap_or_else(|| panic!("{chart} is not inline"));
        assert!(html[at..].contains("</svg><figcaption>"), "{chart}");
    }
    // What binds, in words, names the costliest rule of report.json.
    let costliest =
        report["constraint_prices"].as_array().unwrap().iter().max_by(|a, b| a["price"].as_f64().unwrap().total_cmp(&b["price"].as_f64().unwrap())).unwrap();
    assert!(html.contains(&format!("The costliest rule is <b>{}</b>", costliest["name"].as_str().unwrap())));

    // The screenshot: a real PNG of the page's full width.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    headless(&page, &[&format!("--screenshot={}", shot.display()), "--window-size=1280,3600"], &dir.join("profile-shot"));
    let png = std::fs::read(&shot).expect("the screenshot is written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1280, 3600));
    // A blank page compresses to a few kilobytes; charts and tables do not.
    assert!(png.len() > 100_000, "the screenshot is {} bytes: is the page blank?", png.len());
}

#[test]
fn the_report_pages_incentive_section_shows_the_numbers_of_report_json() {
    let dir = scratch("browser-incentives");
    let sol = solve(&example(), &dir, "solution.json");
    let audit = dir.join("audit.json");
    let o = agora(&["audit", &example(), "--out", s(&audit)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = dir.join("report");
    let o = agora(&["report", &example(), s(&sol), "--audit", s(&audit), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let nums = check_page(&out.join("index.html"), &report, &dir.join("profile-dom"));
    let keys: std::collections::HashSet<&str> = nums.iter().map(|n| n.key.as_str()).collect();
    // Every property's trials, and the change of every trial that gained or lost.
    let checks = report["incentives"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 7);
    for k in 0..checks.len() {
        assert!(keys.contains(format!("/incentives/checks/{k}/trials").as_str()), "check {k}");
    }
    let trials = report["incentives"]["trials"].as_array().unwrap();
    let found: Vec<usize> = (0..trials.len()).filter(|&k| trials[k]["verdict"] != "holds").collect();
    assert!(!found.is_empty());
    for k in found {
        assert!(keys.contains(format!("/incentives/trials/{k}/change").as_str()), "trial {k}");
    }
}

#[test]
fn frontier_and_horizon_pages_render_with_the_numbers_of_their_json() {
    let dir = scratch("browser-frontier");
    let out = dir.join("frontier");
    let o = agora(&["frontier", &example(), "--sweep", "ad-load.max_share=0.1..0.3", "--points", "5", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("frontier.json")).unwrap()).unwrap();
    let nums = check_page(&out.join("index.html"), &json, &dir.join("profile-frontier"));
    let points = json["points"].as_array().unwrap().iter().filter(|p| p["objective"].is_number()).count();
    let shown: std::collections::HashSet<&str> =
        nums.iter().filter(|n| n.key.starts_with("/points/") && n.key.ends_with("/objective")).map(|n| n.key.as_str()).collect();
    assert_eq!(shown.len(), points, "every optimal point's objective is on the page");

    let out = dir.join("horizon");
    let o = agora(&["horizon", &example(), "--days", "3", "--replicas", "2", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("horizon.json")).unwrap()).unwrap();
    let nums = check_page(&out.join("index.html"), &json, &dir.join("profile-horizon"));
    let policies = json["policies"].as_array().unwrap().len();
    let shown: std::collections::HashSet<&str> =
        nums.iter().filter(|n| n.key.ends_with("/totals/discounted_engagement/mean")).map(|n| n.key.as_str()).collect();
    assert_eq!(shown.len(), policies, "every policy's discounted engagement is on the page");

    // Learning policies on the bundled day with an exploration floor: the regret table (with
    // what the floor cost and saved) and the cumulative regret chart.
    let mut day: Value = serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    day["constraints"].as_array_mut().unwrap().push(serde_json::json!({"name": "explore", "type": "exploration_floor", "min_share": 0.001, "max_n": 1000}));
    let day_path = dir.join("explore-day.json");
    std::fs::write(&day_path, day.to_string()).unwrap();
    let out = dir.join("learning");
    let o = agora(&[
        "horizon",
        s(&day_path),
        "--days",
        "3",
        "--replicas",
        "2",
        "--policy",
        "ecosystem",
        "--policy",
        "ucb",
        "--policy",
        "thompson",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("horizon.json")).unwrap()).unwrap();
    let nums = check_page(&out.join("index.html"), &json, &dir.join("profile-learning"));
    let has = |suffix: &str| nums.iter().filter(|n| n.key.ends_with(suffix)).count();
    assert_eq!(has("/totals/cumulative_regret/mean"), 3, "every policy's regret is on the page");
    assert_eq!(has("/exploration_floor/regret_saved/mean"), 2, "what the floor saved each learner");
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    let at = page.find("<figure data-chart=\"cumulative_regret.svg\"><svg").expect("the regret chart is inline");
    assert!(page[at..].contains("</svg><figcaption>"));
}

#[test]
fn the_experiment_page_renders_with_the_numbers_of_experiment_json() {
    let dir = scratch("browser-experiment");
    let change = dir.join("ad-load.json");
    std::fs::write(&change, r#"{"schema": "agora.change/v1", "name": "ad load at most 15%", "set": {"ad-load.max_share": 0.15}}"#).unwrap();
    let out = dir.join("experiment");
    let o = agora(&["experiment", &example(), "--treatment", s(&change), "--arrivals", "20000", "--replicas", "5", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("experiment.json")).unwrap()).unwrap();
    let nums = check_page(&out.join("index.html"), &json, &dir.join("profile-experiment"));
    // Every estimate every design made is on the page, and the truth of the objective.
    let estimates: usize = json["designs"].as_array().unwrap().iter().map(|d| d["estimates"].as_array().unwrap().len()).sum();
    let shown = nums.iter().filter(|n| n.key.starts_with("/designs/") && n.key.ends_with("/estimate")).count();
    assert!(estimates > 0);
    assert_eq!(shown, estimates, "every design's every estimate is on the page");
    assert!(nums.iter().any(|n| n.key == "/truth/effect/objective"));
}
