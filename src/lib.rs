//! macie-invite: invites every new account of an AWS Organization to Amazon Macie, in every configured region.

pub mod config;
pub mod domain;
pub mod error;
pub mod event;
pub mod handler;
pub mod invitation;
pub mod macie;
pub mod organizations;
pub mod outcome;
pub mod plan;

pub use config::Config;
pub use error::Error;
pub use handler::{App, handle};
