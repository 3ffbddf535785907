//! The pure decisions, over our own types and with no I/O: who is invited where (`plan`), which
//! member of a departed account goes (`departure`), how much of a region is covered (`coverage`),
//! which way accounts become members in a region (`mode`), and what becomes of each failure
//! (`failure`).

pub(crate) mod coverage;
pub(crate) mod departure;
pub(crate) mod failure;
pub(crate) mod mode;
pub(crate) mod plan;
