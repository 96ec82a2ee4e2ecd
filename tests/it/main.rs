//! The integration tests: one binary, modules by subject.

mod common;
mod findings;
mod fixtures;
mod flavours;
mod inputs;
mod overlay;
