//! The adapters, one per AWS service, each turning its SDK's types into ours at its edge: Macie
//! (and its words), Organizations, SQS and STS, with the clients' shared settings (`sdk`).

pub mod macie;
pub mod organizations;
pub mod queue;
pub mod sdk;
pub mod sts;
