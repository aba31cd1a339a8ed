//! Shared ending of the market and auction file validations.

use agora_instances::Finding;

/// Adds the findings of a value's own validation to the file-level `errors`, keeping one per
/// entity and field (a missing field, reported by the file layer and replaced by a placeholder,
/// would otherwise draw a follow-on complaint), then returns the value or every error.
pub(crate) fn merge<T>(value: T, mut errors: Vec<Finding>, more: Vec<Finding>) -> Result<T, Vec<Finding>> {
    for f in more {
        if !errors.iter().any(|e| e.entity == f.entity && e.field == f.field) {
            errors.push(f);
        }
    }
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}
