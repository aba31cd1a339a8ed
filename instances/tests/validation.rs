//! Every class of mistake in an instance file is reported, with the entity it concerns (by id)
//! and the field.

use std::path::Path;

use agora_instances::{parse_str, Finding, LoadError, Validated};
use serde_json::{json, Value};

/// A small valid day that each test breaks in one place.
fn base() -> Value {
    json!({
        "schema": "agora.instance/v1",
        "name": "base-day",
        "objective": {"engagement": 1.0, "revenue": 2.0},
        "segments": [
            {"id": "us-teen", "supply": 1000.0, "tags": ["teen", "us"]},
            {"id": "eu-adult", "supply": 2000.0, "tags": ["eu"]}
        ],
        "creators": [{"id": "maple", "group": "new"}, {"id": "atelier", "group": "established"}],
        "campaigns": [{"id": "acme", "budget": 50.0}],
        "items": [
            {"id": "pin1", "creator": "maple", "topic": "recipes", "quality": 0.8, "risk": 0.01, "fresh": true},
            {"id": "pin2", "creator": "atelier", "topic": "fashion", "quality": 0.6, "risk": 0.0, "fresh": false},
            {"id": "ad1", "campaign": "acme", "topic": "home", "quality": 0.5, "risk": 0.0, "fresh": false}
        ],
        "edges": [
            {"segment": "us-teen", "item": "pin1", "engagement": 0.05, "price": 0.0},
            {"segment": "us-teen", "item": "ad1", "engagement": 0.01, "price": 0.002},
            {"segment": "eu-adult", "item": "pin2", "engagement": 0.04}
        ],
        "constraints": [
            {"name": "ad-load", "type": "ad_load", "segments": "*", "max_share": 0.2},
            {"name": "new-floor", "type": "exposure_floor", "items": {"creator_group": "new"}, "min": 10.0},
            {"name": "parity", "type": "exposure_parity", "groups": ["new", "established"], "tolerance": 0.4}
        ]
    })
}

fn parse(v: &Value) -> Result<Validated, LoadError> {
    parse_str(&serde_json::to_string_pretty(v).unwrap(), Path::new("day.json"))
}

fn errors(v: &Value) -> Vec<Finding> {
    match parse(v) {
        Err(LoadError::Invalid { errors, .. }) => errors,
        Err(e) => panic!("expected validation errors, got {e}"),
        Ok(_) => panic!("expected validation errors, the file validated"),
    }
}

/// Asserts that validating `v` fails with exactly one error, about `entity` (which must name the
/// entity's id) and `field`, whose message contains `needle`.
fn assert_single_error(v: &Value, entity: &str, field: &str, needle: &str) -> Finding {
    let errs = errors(v);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    let e = errs.into_iter().next().unwrap();
    assert!(e.entity.contains(entity), "entity {:?} does not name {entity:?}", e.entity);
    assert_eq!(e.field, field, "in {e}");
    assert!(e.message.contains(needle), "message {:?} does not contain {needle:?}", e.message);
    let shown = e.to_string();
    assert!(shown.contains(entity), "{shown}");
    if !field.is_empty() {
        assert!(shown.contains(&format!("field \"{field}\"")), "{shown}");
    }
    e
}

fn set(v: &mut Value, pointer: &str, x: Value) {
    *v.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer}")) = x;
}

#[test]
fn the_base_day_is_valid() {
    let day = parse(&base()).unwrap_or_else(|e| panic!("{e}"));
    assert!(day.warnings.is_empty(), "{:?}", day.warnings);
}

#[test]
fn wrong_schema() {
    let mut v = base();
    set(&mut v, "/schema", json!("agora.instance/v2"));
    assert_single_error(&v, "instance", "schema", "agora.instance/v2");
}

#[test]
fn missing_schema() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("schema");
    assert_single_error(&v, "instance", "schema", "missing");
}

#[test]
fn duplicate_segment_id() {
    let mut v = base();
    set(&mut v, "/segments/1/id", json!("us-teen"));
    set(&mut v, "/edges/2/segment", json!("us-teen"));
    let e = assert_single_error(&v, "segment \"us-teen\"", "id", "duplicate");
    assert!(e.message.contains("0") && e.message.contains("1"), "{e}");
}

#[test]
fn duplicate_item_id() {
    let mut v = base();
    set(&mut v, "/items/1/id", json!("pin1"));
    set(&mut v, "/edges/2/item", json!("pin1"));
    assert_single_error(&v, "item \"pin1\"", "id", "duplicate");
}

#[test]
fn duplicate_creator_id() {
    let mut v = base();
    set(&mut v, "/creators/1/id", json!("maple"));
    set(&mut v, "/items/1/creator", json!("maple"));
    assert_single_error(&v, "creator \"maple\"", "id", "duplicate");
}

#[test]
fn duplicate_campaign_id() {
    let mut v = base();
    v["campaigns"].as_array_mut().unwrap().push(json!({"id": "acme", "budget": 10.0}));
    assert_single_error(&v, "campaign \"acme\"", "id", "duplicate");
}

#[test]
fn edge_with_unknown_segment() {
    let mut v = base();
    set(&mut v, "/edges/0/segment", json!("mars-adult"));
    assert_single_error(&v, "edge #0 (mars-adult -> pin1)", "segment", "unknown segment \"mars-adult\"");
}

#[test]
fn edge_with_unknown_item() {
    let mut v = base();
    set(&mut v, "/edges/2/item", json!("pin9"));
    assert_single_error(&v, "edge #2 (eu-adult -> pin9)", "item", "unknown item \"pin9\"");
}

#[test]
fn item_with_unknown_creator() {
    let mut v = base();
    set(&mut v, "/items/0/creator", json!("nobody"));
    // The parity group "new" loses its only item too, which is a warning, not an error.
    assert_single_error(&v, "item \"pin1\"", "creator", "unknown creator \"nobody\"");
}

#[test]
fn item_with_unknown_campaign() {
    let mut v = base();
    set(&mut v, "/items/2/campaign", json!("globex"));
    assert_single_error(&v, "item \"ad1\"", "campaign", "unknown campaign \"globex\"");
}

#[test]
fn item_with_both_creator_and_campaign() {
    let mut v = base();
    v["items"][2]["creator"] = json!("maple");
    assert_single_error(&v, "item \"ad1\"", "creator", "both");
}

#[test]
fn item_with_neither_creator_nor_campaign() {
    let mut v = base();
    v["items"][1].as_object_mut().unwrap().remove("creator");
    assert_single_error(&v, "item \"pin2\"", "creator", "neither");
}

#[test]
fn negative_supply() {
    let mut v = base();
    set(&mut v, "/segments/1/supply", json!(-5.0));
    assert_single_error(&v, "segment \"eu-adult\"", "supply", "> 0");
}

#[test]
fn zero_supply() {
    let mut v = base();
    set(&mut v, "/segments/0/supply", json!(0));
    assert_single_error(&v, "segment \"us-teen\"", "supply", "> 0, got 0");
}

#[test]
fn negative_budget() {
    let mut v = base();
    set(&mut v, "/campaigns/0/budget", json!(-1.5));
    assert_single_error(&v, "campaign \"acme\"", "budget", ">= 0, got -1.5");
}

#[test]
fn quality_above_one() {
    let mut v = base();
    set(&mut v, "/items/1/quality", json!(1.2));
    assert_single_error(&v, "item \"pin2\"", "quality", "in [0, 1], got 1.2");
}

#[test]
fn negative_risk() {
    let mut v = base();
    set(&mut v, "/items/0/risk", json!(-0.01));
    assert_single_error(&v, "item \"pin1\"", "risk", "in [0, 1], got -0.01");
}

#[test]
fn negative_engagement() {
    let mut v = base();
    set(&mut v, "/edges/1/engagement", json!(-0.2));
    assert_single_error(&v, "edge #1 (us-teen -> ad1)", "engagement", ">= 0, got -0.2");
}

#[test]
fn negative_price() {
    let mut v = base();
    set(&mut v, "/edges/1/price", json!(-0.002));
    assert_single_error(&v, "edge #1 (us-teen -> ad1)", "price", ">= 0, got -0.002");
}

#[test]
fn share_above_one() {
    let mut v = base();
    set(&mut v, "/constraints/0/max_share", json!(1.5));
    assert_single_error(&v, "constraint \"ad-load\"", "max_share", "in [0, 1], got 1.5");
}

#[test]
fn tolerance_of_one() {
    let mut v = base();
    set(&mut v, "/constraints/2/tolerance", json!(1.0));
    assert_single_error(&v, "constraint \"parity\"", "tolerance", "in [0, 1), got 1");
}

#[test]
fn unknown_constraint_type() {
    let mut v = base();
    set(&mut v, "/constraints/0/type", json!("ad_cap"));
    let e = assert_single_error(&v, "constraint \"ad-load\"", "type", "unknown constraint type \"ad_cap\"");
    assert!(e.message.contains("ad_load"), "the message lists the known types: {e}");
}

#[test]
fn unknown_item_selector_key() {
    let mut v = base();
    set(&mut v, "/constraints/1/items", json!({"group": "new"}));
    let e = assert_single_error(&v, "constraint \"new-floor\"", "items", "unknown item selector key \"group\"");
    assert!(e.message.contains("creator_group"), "the message lists the known keys: {e}");
}

#[test]
fn unknown_segment_selector_shape() {
    let mut v = base();
    set(&mut v, "/constraints/0/segments", json!({"region": "us"}));
    assert_single_error(&v, "constraint \"ad-load\"", "segments", "unknown segment selector");
    let mut v = base();
    set(&mut v, "/constraints/0/segments", json!("us-teen"));
    assert_single_error(&v, "constraint \"ad-load\"", "segments", "unknown segment selector");
}

#[test]
fn duplicate_edge() {
    let mut v = base();
    v["edges"].as_array_mut().unwrap().push(json!({"segment": "us-teen", "item": "pin1", "engagement": 0.07}));
    let e = assert_single_error(&v, "edge #3 (us-teen -> pin1)", "", "duplicate edge");
    assert!(e.message.contains("#0"), "names the first edge: {e}");
}

#[test]
fn duplicate_constraint_name() {
    let mut v = base();
    set(&mut v, "/constraints/1/name", json!("ad-load"));
    assert_single_error(&v, "constraint \"ad-load\"", "name", "duplicate");
}

#[test]
fn price_on_an_organic_edge() {
    let mut v = base();
    set(&mut v, "/edges/0/price", json!(0.003));
    assert_single_error(&v, "edge #0 (us-teen -> pin1)", "price", "organic");
}

#[test]
fn penalty_not_positive() {
    for p in [0.0, -1.0] {
        let mut v = base();
        v["constraints"][0]["penalty"] = json!(p);
        assert_single_error(&v, "constraint \"ad-load\"", "penalty", "> 0");
    }
}

#[test]
fn json_syntax_error_has_line_and_column() {
    // The comma after "name" is missing: the parser stops at the quote opening line 4's key.
    let text = "{\n  \"schema\": \"agora.instance/v1\",\n  \"name\": \"x\"\n  \"segments\": []\n}\n";
    match parse_str(text, Path::new("broken.json")) {
        Err(LoadError::Syntax { path, line, column, message }) => {
            assert_eq!((line, column), (4, 3), "{message}");
            assert_eq!(path, Path::new("broken.json"));
            assert!(!message.contains(" at line "), "position repeated in {message:?}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let shown = parse_str(text, Path::new("broken.json")).unwrap_err().to_string();
    assert!(shown.starts_with("broken.json:4:3: "), "{shown}");
}

#[test]
fn number_out_of_range_is_an_error_with_a_line() {
    let text = serde_json::to_string_pretty(&base()).unwrap().replace("\"supply\": 2000.0", "\"supply\": 1e999");
    let line = text.lines().position(|l| l.contains("1e999")).unwrap() + 1;
    match parse_str(&text, Path::new("huge.json")) {
        Err(LoadError::Syntax { line: l, message, .. }) => {
            assert_eq!(l, line);
            assert!(message.contains("out of range"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn selector_matching_nothing_is_a_warning() {
    let mut v = base();
    set(&mut v, "/constraints/1/items", json!({"topic": "astrology"}));
    let day = parse(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(day.warnings.len(), 1, "{:?}", day.warnings);
    let w = &day.warnings[0];
    assert!(w.entity.contains("new-floor") && w.field == "items" && w.message.contains("selects no item"), "{w}");

    let mut v = base();
    set(&mut v, "/constraints/0/segments", json!({"tag": "apac"}));
    let day = parse(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(day.warnings.len(), 1, "{:?}", day.warnings);
    assert!(day.warnings[0].entity.contains("ad-load") && day.warnings[0].field == "segments");
}

#[test]
fn three_separate_errors_are_all_reported() {
    let mut v = base();
    set(&mut v, "/segments/0/supply", json!(-1.0));
    set(&mut v, "/items/2/campaign", json!("globex"));
    set(&mut v, "/constraints/0/max_share", json!(2.0));
    let errs = errors(&v);
    assert_eq!(errs.len(), 3, "{errs:#?}");
    let fields: Vec<(&str, &str)> = errs.iter().map(|e| (e.entity.as_str(), e.field.as_str())).collect();
    assert!(fields.contains(&("segment \"us-teen\"", "supply")), "{fields:?}");
    assert!(fields.contains(&("item \"ad1\"", "campaign")), "{fields:?}");
    assert!(fields.contains(&("constraint \"ad-load\"", "max_share")), "{fields:?}");
    let shown = parse(&v).unwrap_err().to_string();
    assert!(shown.starts_with("day.json: 3 error(s):"), "{shown}");
}

#[test]
fn a_bad_selector_does_not_hide_the_constraints_other_errors() {
    let mut v = base();
    set(&mut v, "/constraints/1/items", json!({"group": "new"}));
    set(&mut v, "/constraints/1/min", json!(-3.0));
    let errs = errors(&v);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs.iter().any(|e| e.field == "items") && errs.iter().any(|e| e.field == "min"), "{errs:#?}");
}

#[test]
fn an_item_without_a_valid_owner_does_not_also_blame_its_edges() {
    // "ad1" has both owners: its priced edge must not also be reported as an organic edge with a price.
    let mut v = base();
    v["items"][2]["creator"] = json!("maple");
    let errs = errors(&v);
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

#[test]
fn unknown_fields_of_entities_are_warnings_naming_the_first_and_counting_the_rest() {
    let text = r#"{"schema": "agora.instance/v1", "name": "typos",
        "segments": [{"id": "s", "supply": 10, "region": "eu"}],
        "creators": [{"id": "c", "grup": "new"}],
        "items": [{"id": "i", "creator": "c", "topic": "t", "quality": 1, "risk": 0, "fresh": true, "capp": 5},
                  {"id": "j", "creator": "c", "topic": "t", "quality": 1, "risk": 0, "fresh": true}],
        "edges": [{"segment": "s", "item": "i", "engagement": 1, "note": "a"},
                  {"segment": "s", "item": "j", "engagement": 1, "note": "b"}]}"#;
    let v = agora_instances::parse_str(text, std::path::Path::new("typos.json")).unwrap();
    let w: Vec<String> = v.warnings.iter().map(|f| f.to_string()).collect();
    assert_eq!(w.len(), 4, "{w:?}");
    assert!(w.iter().any(|m| m.contains("segment \"s\"") && m.contains("region")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("creator \"c\"") && m.contains("grup")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("item \"i\"") && m.contains("capp")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("edge #0") && m.contains("note") && m.contains("and 1 more edges")), "{w:?}");
    // The misspelt group falls back to the default; the misspelt cap is not applied.
    assert_eq!(v.instance.creators[0].group, "default");
    assert_eq!(v.instance.items[0].cap, None);
}

#[test]
fn estimated_edges_and_the_exploration_floor_round_trip() {
    let mut v = base();
    v["edges"][0]["n"] = json!(12);
    v["edges"][0]["engagement_lcb"] = json!(0.03);
    v["edges"][0]["engagement_ucb"] = json!(0.08);
    v["objective"]["engagement_estimate"] = json!("pessimistic");
    v["constraints"].as_array_mut().unwrap().push(json!({"name": "explore", "type": "exploration_floor", "min_share": 0.05, "max_n": 20, "penalty": 1.0}));
    let day = parse(&v).unwrap().instance;
    assert_eq!(day.evidence.len(), 3);
    assert_eq!((day.evidence[0].n, day.evidence[0].lcb, day.evidence[0].ucb), (12, 0.03, 0.08));
    // Edges without the fields: no rounds, the point estimate as both ends.
    assert_eq!((day.evidence[1].n, day.evidence[1].lcb, day.evidence[1].ucb), (0, 0.01, 0.01));
    assert_eq!(day.objective.engagement_estimate, agora_instances::EngagementEstimate::Pessimistic);
    assert_eq!(day.planned_engagement(0), 0.03);
    // Every edge of a segment with fewer than 20 rounds: all three here.
    let explore = day.constraints.last().unwrap();
    let agora_instances::ConstraintKind::ExplorationFloor { segments, max_n, .. } = &explore.kind else { panic!("{explore:?}") };
    assert_eq!(day.explored_edges(segments, *max_n), vec![(0, 0), (0, 1), (1, 2)]);
    assert_eq!(day.explored_edges(segments, 12), vec![(0, 1), (1, 2)]);
    let again = parse_str(&agora_instances::to_json(&day), Path::new("again.json")).unwrap().instance;
    assert_eq!(again, day);
    assert_eq!(agora_instances::content_hash(&again), agora_instances::content_hash(&day));
}

#[test]
fn bad_estimates_name_the_edge_and_the_field() {
    let mut v = base();
    v["edges"][0]["engagement_lcb"] = json!(0.06);
    assert_single_error(&v, "edge #0 (us-teen -> pin1)", "engagement_lcb", "must be <= engagement (0.05), got 0.06");
    let mut v = base();
    v["edges"][1]["engagement_ucb"] = json!(0.001);
    assert_single_error(&v, "edge #1 (us-teen -> ad1)", "engagement_ucb", "must be >= engagement (0.01), got 0.001");
    let mut v = base();
    v["edges"][2]["n"] = json!(2.5);
    assert_single_error(&v, "edge #2 (eu-adult -> pin2)", "n", "must be a whole number >= 0, got 2.5");
    let mut v = base();
    v["objective"]["engagement_estimate"] = json!("cautious");
    assert_single_error(&v, "objective", "engagement_estimate", "must be \"point\", \"pessimistic\" or \"optimistic\", got \"cautious\"");
    let mut v = base();
    v["constraints"].as_array_mut().unwrap().push(json!({"name": "explore", "type": "exploration_floor", "min_share": 0.05}));
    assert_single_error(&v, "constraint \"explore\"", "max_n", "is missing");
    let mut v = base();
    v["constraints"].as_array_mut().unwrap().push(json!({"name": "explore", "type": "exploration_floor", "min_share": 1.5, "max_n": 0}));
    let found = errors(&v);
    assert!(found.iter().any(|f| f.field == "min_share") && found.iter().any(|f| f.field == "max_n" && f.message.contains(">= 1")), "{found:?}");
}
