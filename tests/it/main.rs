//! The integration tests: one binary, modules by subject.

mod attestations;
mod check;
mod ci_templates;
mod closures;
mod common;
mod daemon;
mod diff;
mod docs_examples;
mod explore;
mod false_alarms;
mod findings;
mod fixtures;
mod flavours;
mod hostile;
mod html;
mod inputs;
mod layering;
mod manifest_check;
mod meta;
mod overlay;
mod pipeline;
mod registry;
mod schemas;
mod servers;
mod snapshots;
mod workflows;
