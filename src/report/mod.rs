//! What the function tells: the invocation's answer (`summary`), its metrics (`metrics`) and the
//! log lines' shape (`logging`).

pub mod logging;
pub mod metrics;
pub(crate) mod summary;
