//! # agora-analysis
//!
//! Everything agora derives from a solved day for people and for serving, apart from the solve
//! itself: the export of a checked plan to a serving artifact and its proof by simulation, the
//! ecosystem report with rule prices and content gaps, and the frontier's files. Every chart is
//! drawn here (plotters, SVG backend only), so the solver carries no drawing code.
//!
//! - [`export`]: from a checked optimal solution to an `agora.serving/v1` artifact;
//! - [`simulate`] (with its policies): a seeded day of opportunities served by the exported rule
//!   and two baselines;
//! - [`report`]: `agora.report/v1`, its tables and charts, rule prices and content gaps;
//! - [`frontier`]: `frontier.json`, `.csv` and `.svg` of a computed frontier;
//! - [`horizon`]: multi-day simulations of what a policy's rules do to creators, catalog and users.
//! - [`html`]: the self-contained pages (`index.html`) of reports, frontiers and horizons;
//! - [`offpolicy`]: engagement estimated from logged feedback, and plans evaluated on logs;
//! - [`tables`]: a solution's plan and rows as Parquet tables for the warehouse.

#![warn(missing_docs)]

pub mod experiment;
pub mod export;
pub mod frontier;
pub mod horizon;
pub mod html;
pub mod offpolicy;
mod policies;
pub mod report;
pub mod simulate;
pub mod tables;

pub use export::{build, check as check_export, Export, ExportError, ExportOptions};
pub use simulate::{check_instance, simulate, simulate_dir, SimulateError, SimulationConfig, SimulationReport, SIMULATION_SCHEMA};
