//! The integration tests, one binary: each module a part of the function's behaviour, against the
//! real SDK clients over HTTP and the local stand-ins (tests/standins), through the real handler.
//! One binary, not one per file: each links the SDK crates again (about 300 MB apiece in debug).

mod support;

mod baseline;
mod calls;
mod chaos;
mod check;
mod confinement;
mod departures;
mod discovery;
mod docs;
mod drift;
mod first_week;
mod hostile;
mod invitation;
mod lifecycle;
mod limits;
mod logs;
mod member;
mod metrics;
mod organizations;
mod quota;
mod reconcile;
mod requests;
mod retries;
mod rules;
mod scripts;
mod startup;
mod template;
mod triggers;
