//! Generates a day and prints its shape, the time it took and whether the witness is feasible.
//!
//! `cargo run --release -p agora-instances --example generate -- SIZE [SEED] [OUT.json]`

use std::time::Instant;

use agora_instances::{generate_witnessed, plan_violations, save, GenerateConfig, Size};

fn main() {
    let mut args = std::env::args().skip(1);
    let size: Size = match args.next().as_deref().unwrap_or("small").parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let seed: u64 = args.next().map(|s| s.parse().expect("SEED is an integer")).unwrap_or(1);
    let start = Instant::now();
    let g = generate_witnessed(&GenerateConfig::for_size(size), seed);
    let elapsed = start.elapsed();
    let inst = &g.instance;
    println!("{}: {} in {elapsed:.2?}", inst.name, inst.shape());
    for c in &inst.constraints {
        println!("  {:<28} {:?}{}", c.name, c.kind, c.penalty.map(|p| format!(" penalty {p}")).unwrap_or_default());
    }
    let violations = plan_violations(inst, &g.witness, 1e-9);
    println!("witness violates {} rows", violations.len());
    for v in violations.iter().take(10) {
        println!("  {v}");
    }
    if let Some(out) = args.next() {
        save(inst, &out).expect("write the instance");
        println!("wrote {out}");
    }
}
