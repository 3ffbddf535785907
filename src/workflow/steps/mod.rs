//! The steps the entry workflows share: the associations made while a reconcile lists the
//! organization (`ahead`), the look-ups in Organizations and Macie (`lookup`), the
//! work in one region (`region`), the discovery policy in one region (`discovery`) and over a reconcile's regions
//! (`everywhere`), and what
//! becomes of each subject afterwards (`settle`).

pub(crate) mod actions;
pub(crate) mod ahead;
pub(crate) mod baseline;
pub(crate) mod discovery;
pub(crate) mod enroll;
pub(crate) mod everywhere;
pub(crate) mod lookup;
pub(crate) mod passes;
pub(crate) mod region;
pub(crate) mod resume;
pub(crate) mod settle;
