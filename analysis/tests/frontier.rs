//! A frontier's files (`frontier.json`, `.csv`, `.svg`): null values for points that are not
//! optimal, the CSV header, the chart's labels.

use agora_analysis::frontier::FrontierOutput;
use agora_instances::{load, Instance};
use agora_solver::frontier::{self, FrontierSettings, Sweep};

fn example() -> Instance {
    load(concat!(env!("CARGO_MANIFEST_DIR"), "/../instances/example-day.json")).unwrap().instance
}

#[test]
fn files_carry_nulls_for_infeasible_points() {
    let day = example();
    let total: f64 = day.segments.iter().map(|s| s.supply).sum();
    let sweep = Sweep::parse(&day, &format!("new-creator-exposure.min=0..{}", 2.0 * total), 5).unwrap();
    let f = frontier::run(&day, &[sweep], &FrontierSettings::default(), &agora_solver::Silent).unwrap();
    let json: serde_json::Value = serde_json::from_str(&f.to_json()).unwrap();
    assert_eq!(json["schema"], "agora.frontier/v1");
    assert_eq!(json["sweeps"][0]["param"], "new-creator-exposure.min");
    let last = &json["points"][4];
    assert_eq!(last["status"], "infeasible");
    assert!(last["objective"].is_null() && last["terms"].is_null() && last["metrics"].is_null());
    assert!(last["shadow_prices"]["new-creator-exposure.min"].is_null());
    assert_eq!(last["efficient"], false);
    let first = &json["points"][0];
    assert_eq!(first["status"], "optimal");
    for m in ["ad_load", "revenue", "new_creator_share", "creator_gini"] {
        assert!(first["metrics"][m].is_number(), "{m}");
    }
    let csv = f.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0].starts_with("new-creator-exposure.min,status,objective,"));
    assert!(lines[5].contains(",infeasible,,"), "{}", lines[5]);
    let svg = f.to_svg(&day).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("new-creator-exposure.min (impressions/day)") && svg.contains("infeasible: no value (4 points)"));
}
