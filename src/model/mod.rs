//! The report data: the versioned documents deadweight writes and reads back. `analyze`
//! builds them, `report` renders them, `diff` and `check` read saved ones; this module
//! imports nothing of the crate.
//!
//! - [`inspect`]: `inspect --format json`, a baseline, one side of a diff;
//! - [`diff`]: `diff --format json`;
//! - [`check`]: `check --format json`, and what its other formats render;
//! - [`category`]: a finding's category, shared by the findings and the config file;
//! - [`config`]: `deadweight.toml`, as the types its JSON Schema is made from.
//!
//! Schema policy: each document's `schema_version` changes only when a field is renamed,
//! removed or changes meaning; new fields may appear in any release. Readers accept any
//! document with the same `schema_version`.

pub mod category;
pub mod check;
pub mod config;
pub mod diff;
pub mod inspect;

pub use category::Category;
pub use check::{CHECK_SCHEMA_VERSION, CheckReport};
pub use diff::{DIFF_SCHEMA_VERSION, DiffReport, ImageDiff};
pub use inspect::{FindingInfo, FindingPackage, InspectReport, SCHEMA_VERSION, Tool};
