//! macie-invite: invites every new account of an AWS Organization to Amazon Macie, in every configured region.
//!
//! # Layout
//! Imports flow one way, from the top of this list to the bottom:
//! - [`handle`] (`handler`): the Lambda handler, which decodes the event and hands it to the one
//!   dispatch (`workflow::dispatch`).
//! - `workflow`: what each trigger asks for (`job`), the workflows that do it (`named`,
//!   `reconcile`, `removal`, `adopt`, `retry`, `check`), what becomes of the work afterwards
//!   (`settle`), and what they share (`lookup`, `region`, the invocation, its deadline and its one
//!   bound on removals).
//! - [`App`] (`app`): the settings and the adapters, built once at init.
//! - `preflight`: the check's judgements; `summary`: the answer; `coverage`: each region's share
//!   covered (pure); [`metrics`]: the answer's EMF lines.
//! - The adapters, one per service, in our own types: [`organizations`], [`macie`], [`queue`],
//!   [`sts`]; with [`sdk`], the clients' shared settings.
//! - [`event`] (every trigger decoded into a [`event::Trigger`]) and [`message`] (the queues'
//!   bodies); `failure` (the one failure policy and Macie's words), `plan` and `departure` (pure
//!   decisions: who is invited, which member goes), `outcome` (what happened to each subject).
//! - [`domain`] (the types the function reasons with), `config`, `error`, `quote` and [`logging`].
#![warn(missing_docs)]

mod app;
mod config;
mod coverage;
mod departure;
pub mod domain;
mod error;
pub mod event;
mod failure;
mod handler;
pub mod logging;
pub mod macie;
pub mod message;
pub mod metrics;
pub mod organizations;
mod outcome;
mod plan;
mod preflight;
pub mod queue;
mod quote;
pub mod sdk;
pub mod sts;
mod summary;
mod workflow;

pub use app::App;
pub use config::Config;
pub use error::Error;
pub use handler::{Response, handle};
