//! What the function tells: the invocation's answer (`summary`), its metrics (`metrics`), the
//! queues' messages (`message`) and the log lines' shape (`logging`).

pub mod logging;
pub mod message;
pub mod metrics;
pub(crate) mod summary;
