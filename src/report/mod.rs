//! What the function tells: each subject's outcome (`outcome`), the invocation's answer
//! (`summary`), its metrics (`metrics`), the queues' messages (`message`) and the log lines'
//! shape (`logging`).

pub mod logging;
pub mod message;
pub mod metrics;
pub(crate) mod outcome;
pub(crate) mod summary;
