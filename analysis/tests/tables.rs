//! A solution's plan and rows as Parquet tables: they read back (through agora's own typed
//! reader) as exactly the solution file's plan and rows, and each planned edge's reduced cost
//! is the one computed from the whole stored matrix.

use agora_analysis::tables::{plan_table, rows_table, write_tables, TablesError};
use agora_instances::columnar::parquet::read_text_rows;
use agora_solver::{formulate, SolutionFile};

mod common;
use common::{example, solved_days};

/// The rows of a Parquet table's bytes as text cells, with its column names.
fn read(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let (mut header, mut rows) = (Vec::new(), Vec::new());
    let text_columns = ["segment", "item", "name", "type", "sense", "rule", "parameter"];
    read_text_rows(
        bytes,
        std::path::Path::new("table.parquet"),
        |c| text_columns.contains(&c),
        |h, _, cells| {
            header = h.to_vec();
            rows.push(cells.to_vec());
            Ok::<(), ()>(())
        },
    )
    .unwrap()
    .unwrap();
    (header, rows)
}

fn num(cell: &str) -> f64 {
    cell.parse().unwrap()
}

#[test]
fn the_tables_hold_the_solutions_plan_and_rows() {
    for (name, inst, sol) in solved_days() {
        let (header, plan) = read(&plan_table(&inst, &sol, Vec::new()).unwrap());
        assert_eq!(header, ["segment", "item", "impressions", "share", "reduced_cost"], "{name}");
        assert_eq!(plan.len(), sol.plan.len(), "{name}");
        let model = formulate(&inst);
        let dual: Vec<f64> = model.rows.iter().map(|m| sol.constraints.iter().find(|c| c.name == m.name).unwrap().dual).collect();
        for (row, p) in plan.iter().zip(&sol.plan) {
            assert_eq!((row[0].as_str(), row[1].as_str(), num(&row[2]).to_bits()), (p.segment.as_str(), p.item.as_str(), p.impressions.to_bits()), "{name}");
            let e = inst.edges.iter().position(|e| inst.segments[e.segment].id == p.segment && inst.items[e.item].id == p.item).unwrap();
            let supply = inst.segments[inst.edges[e].segment].supply;
            assert_eq!(num(&row[3]), p.impressions / supply, "{name}: share");
            // The reduced cost from the stored column (entries in row order, as generated).
            let col = model.matrix.outer_view(e).unwrap();
            let aty: f64 = col.iter().map(|(r, &a)| a * dual[r]).sum();
            let reduced = model.cost[e] - model.quad[e] * p.impressions - aty;
            let scale = model.cost[e].abs() + col.iter().map(|(r, &a)| (a * dual[r]).abs()).sum::<f64>();
            assert!((num(&row[4]) - reduced).abs() <= 1e-12 * scale.max(1.0), "{name}: reduced cost {} against {reduced}", row[4]);
            // At an optimum a planned edge below its cap has no reduced cost (to the solve's tolerance).
            let below_cap = inst.edges[e].cap.is_none_or(|c| p.impressions < c * (1.0 - 1e-6));
            if below_cap {
                assert!(reduced.abs() <= 1e-6 * scale.max(1.0), "{name}: planned edge {} -> {} has reduced cost {reduced}", p.segment, p.item);
            }
        }

        let (header, rows) = read(&rows_table(&sol, Vec::new()).unwrap());
        assert_eq!(header, ["name", "type", "sense", "rule", "parameter", "activity", "bound", "slack", "violation", "dual", "shadow_price"], "{name}");
        assert_eq!(rows.len(), sol.constraints.len(), "{name}");
        for (row, c) in rows.iter().zip(&sol.constraints) {
            let text = |o: &Option<String>| o.clone().unwrap_or_default();
            assert_eq!(row[..5], [c.name.clone(), c.kind.as_str().to_string(), text(&c.sense), text(&c.constraint), text(&c.parameter)], "{name}");
            let numbers: Vec<u64> = row[5..].iter().map(|t| num(t).to_bits()).collect();
            let want: Vec<u64> = [c.activity, c.bound, c.slack, c.violation, c.dual, c.shadow_price].iter().map(|x| x.to_bits()).collect();
            assert_eq!(numbers, want, "{name}: row {}", c.name);
        }
    }
}

#[test]
fn tables_are_written_atomically_and_refuse_another_instances_solution() {
    let inst = example();
    let sol: SolutionFile = agora_solver::solve(&inst, &agora_solver::Settings::default()).unwrap().to_file(&inst);
    let dir = tempfile::tempdir().unwrap();
    let (plan, rows) = (dir.path().join("plan.parquet"), dir.path().join("rows.parquet"));
    write_tables(&inst, &sol, Some(&plan), Some(&rows)).unwrap();
    assert_eq!(std::fs::read(&plan).unwrap(), plan_table(&inst, &sol, Vec::new()).unwrap());
    assert_eq!(std::fs::read(&rows).unwrap(), rows_table(&sol, Vec::new()).unwrap());
    let mut other = sol.clone();
    other.instance = "another-day".into();
    std::fs::write(&plan, b"old").unwrap();
    assert!(matches!(write_tables(&inst, &other, Some(&plan), None), Err(TablesError::Solution(_))));
    assert_eq!(std::fs::read(&plan).unwrap(), b"old");
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
}
