//! Shared helpers for agora's workspace tests.
