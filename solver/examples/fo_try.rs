use agora_instances::{generate, Size, GenerateConfig, generate_with};
use agora_solver::{formulate, solve_model, BackendChoice, Settings, first_order};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size: Size = args[1].parse().unwrap();
    let seed: u64 = args[2].parse().unwrap();
    let rho: f64 = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(0.0);
    let mut cfg = GenerateConfig::for_size(size);
    cfg.regularization = rho;
    let _ = generate;
    let inst = generate_with(&cfg, seed);
    let model = formulate(&inst);
    let t = std::time::Instant::now();
    if std::env::var("NOEXACT").is_err() {
    let h = solve_model(&inst, &model, &Settings { backend: if rho > 0.0 { BackendChoice::Clarabel } else { BackendChoice::Highs }, ..Settings::default() }).unwrap();
    println!("exact: {} {} in {:?}", h.status, h.objective, t.elapsed());
    }
    let s = Settings { backend: BackendChoice::FirstOrder, iteration_limit: Some(200000), threads: std::env::var("T").map(|t| t.parse().unwrap()).unwrap_or(1), time_limit: std::env::var("TL").ok().map(|t| t.parse().unwrap()), verbose: std::env::var("V").is_ok(), ..Settings::default() };
    let t = std::time::Instant::now();
    let o = first_order::run(&model, &s, None).unwrap();
    println!("fo: {:?} obj {} in {:?} {:?} {:?}", o.reason, o.result.objective, t.elapsed(), o.stats, o.result.detail);
}
