//! `flowtop bench`: parsing, model, render and soak measurements.

pub mod model;
pub mod parse;
pub mod render;
pub mod soak;
