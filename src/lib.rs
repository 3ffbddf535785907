//! macie-invite: invites every new account of an AWS Organization to Amazon Macie, in every configured region.
//!
//! # Layout
//! The folders are the layers; imports flow one way, from the top of this list to the bottom:
//! [`handle`] (`handler`), `workflow/` (the entry workflows; `steps/`, what they share; `scope`
//! and `clock`), `preflight/`, [`App`] (`app`), `report/`, `aws/`, `policy/`, [`event`],
//! `config/`, `outcome/`, [`domain`], `error` and `quote`. docs/architecture.md ("The code") says
//! what each holds, what flows through them, and where to add an outcome, a setting, a trigger or
//! a call.
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
