//! The workflows. Entry workflows, one a file, each what a trigger asks for: `dispatch` (the one
//! dispatch of a job to its workflow), `job` (what each trigger asks for), `invitation` (the
//! accounts an event names), `reconcile` (the whole organization), `removal` (departed accounts'
//! members), `adopt` (untagged members), `retry` (the retry queue's messages) and `check` (the
//! preflight). The steps they share are in `steps/`; the context they share is `scope` (the
//! invocation and its `Scope`) and `clock` (the deadline and the clocks).

pub(crate) mod adopt;
pub(crate) mod check;
pub(crate) mod clock;
pub(crate) mod dispatch;
pub(crate) mod invitation;
pub(crate) mod job;
pub(crate) mod reconcile;
pub(crate) mod removal;
pub(crate) mod retry;
pub(crate) mod scope;
pub(crate) mod steps;
