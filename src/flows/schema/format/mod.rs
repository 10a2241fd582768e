//! One file per format: how to recognise it and what its columns mean.

pub(crate) mod argus;
pub(crate) mod cicflowmeter;
pub(crate) mod generic;
pub(crate) mod nfdump;
pub(crate) mod nsl_kdd;
pub(crate) mod unsw;
pub(crate) mod zeek;
