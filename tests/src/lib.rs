//! Shared helpers for agora's workspace-level tests: an independent good_lp formulation of the
//! spec (the cross-check oracle) and finite-difference tools.

pub mod oracle;
