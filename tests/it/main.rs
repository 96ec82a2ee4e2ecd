//! The integration tests: one binary, modules by subject.

mod check;
mod common;
mod fixtures;
mod flavours;
mod inputs;
mod overlay;
