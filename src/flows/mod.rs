//! Reading flow logs: `source` yields lines (a file read once, followed like `tail -F`,
//! stdin, or paced as a replay), `schema` sniffs the format and decodes lines into
//! `FlowRecord`s, and `ingest` runs the two together, in parallel, with the reject counts.

pub mod ingest;
pub mod inspect;
pub mod schema;
pub mod source;
