//! # agora-mechanisms
//!
//! agora's economics, apart from the day's plan: markets and their first-price pacing
//! equilibrium, auctions, and the incentive audit of the planner's own mechanism.
//!
//! - [`market`] (`agora.market/v1`) and [`fppe`]: the first-price pacing equilibrium by
//!   Eisenberg-Gale (Clarabel's exponential cones), polished exactly, checked against its
//!   definition ([`fppe::check`]), with [`proportional_response`] as an independent dynamic;
//! - [`auction`] (`agora.auction/v1`): second-price, first-price, GSP, VCG and Myerson payments;
//! - [`audit`]: budget feasibility, creator monotonicity and Sybil checks of a day's plan;
//! - [`format`]: the plain-text tables every command prints.
//!
//! The pacing multipliers of a day's plan are part of its solution (`agora_solver::pacing`).

#![warn(missing_docs)]

pub mod auction;
#[cfg(feature = "audit")]
pub mod audit;
mod findings;
pub mod format;
pub mod fppe;
pub mod market;
pub mod proportional_response;
