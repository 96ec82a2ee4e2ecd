//! The integration tests: one binary, modules by subject.

mod common;
mod fixtures;
mod flavours;
mod hostile;
mod inputs;
mod overlay;
