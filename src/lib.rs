//! macie-invite: invites every new account of an AWS Organization to Amazon Macie, in every configured region.
//!
//! # Layout
//! The folders are the layers; imports flow one way, from the top of this list to the bottom:
//! - [`handle`] (`handler`): the Lambda handler, which decodes the event and hands it to the one
//!   dispatch (`workflow::dispatch`).
//! - `workflow/`: what each trigger asks for (`job`), the workflows that do it (`invitation`,
//!   `reconcile`, `removal`, `adopt`, `retry`, `check`), what becomes of the work afterwards
//!   (`settle`), and what they share (`lookup`, `region`, `discovery`, the invocation, its
//!   deadline and its one bound on removals), `dispatch` (the one dispatch of a job to its workflow). `preflight/`:
//!   the check's judgements (`organization`, `macie`, `queues`).
//! - [`App`] (`app`): the settings and the adapters, built once at init.
//! - `aws/`: the adapters, one per service, in our own types: [`macie`] (with `macie_words`,
//!   Macie's vocabulary beside it), [`organizations`], [`queue`], [`sts`]; with [`sdk`], the
//!   clients' shared settings.
//! - `report/`: `summary` (the answer), [`metrics`] (its EMF lines), [`logging`] (the log
//!   lines' shape).
//! - `policy/`: the pure decisions: `plan` (who is invited where), `departure` (which member
//!   goes), `coverage` (each region's share covered), `mode` (through Organizations or by
//!   invitation), `discovery` (automated discovery on or off), `failure` (the one failure
//!   policy).
//! - [`event`] (every trigger decoded into a [`event::Trigger`]: `eventbridge`, `manual`, `json`,
//!   `trigger`; and [`message`], the queues' bodies, written and read back), `config`; `outcome` (what
//!   happened to each subject, and the one table of outcomes, which the decoders, the policy and
//!   the reports share), [`domain`] (the types the function reasons with), `error` and `quote`.
#![warn(missing_docs)]

mod app;
pub mod aws;
mod config;
pub mod domain;
mod error;
pub mod event;
mod handler;
mod outcome;
mod policy;
mod preflight;
mod quote;
pub mod report;
mod workflow;

pub use app::App;
pub use aws::{macie, organizations, queue, sdk, sts};
pub use config::Config;
pub use error::{Error, Meaning};
pub use event::message;
pub use handler::{Response, handle};
pub use report::{logging, metrics};
