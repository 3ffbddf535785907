//! The adapters, one per AWS service, each turning its SDK's types into ours at its edge: Macie
//! (and, beside it, its words: `macie_words`), Organizations, SQS and STS, with the clients'
//! shared settings (`sdk`).

pub mod macie;
pub(crate) mod macie_words;
pub mod organizations;
pub mod queue;
pub mod sdk;
pub mod sts;
