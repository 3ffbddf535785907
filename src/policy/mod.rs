//! The pure decisions, over our own types and with no I/O: who is invited where (`plan`), which
//! member of a departed account goes (`departure`), whether a member's automated discovery is on
//! (`discovery`), how much of a region is covered (`coverage`),
//! which way accounts become members in a region (`mode`), and what becomes of each failure
//! (`failure`).

pub(crate) mod baseline;
pub(crate) mod coverage;
pub(crate) mod departure;
pub(crate) mod discovery;
pub(crate) mod failure;
pub(crate) mod mode;
pub(crate) mod plan;

/// Whether a count is zero: a count left out of the answer when it is.
fn is_zero(count: &usize) -> bool {
    *count == 0
}
