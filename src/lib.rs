//! macie-invite: invites every new account of an AWS Organization to Amazon Macie, in every configured region.

pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod event;
pub mod failure;
pub mod handler;
pub mod logging;
pub mod macie;
pub mod message;
pub mod metrics;
pub mod organizations;
pub mod outcome;
pub mod plan;
pub mod preflight;
pub mod queue;
pub mod quote;
pub mod sdk;
pub mod sts;
pub mod summary;
pub mod workflow;

pub use config::Config;
pub use error::Error;
pub use handler::{App, Response, handle};
