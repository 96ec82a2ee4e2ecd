//! The integration tests: one binary, modules by subject.

mod check;
mod ci_templates;
mod common;
mod diff;
<<<<<<< HEAD
mod false_alarms;
=======
mod explore;
>>>>>>> 5006806 (explore: the view model (tree as of a layer, hidden/duplicate/finding notes), the state machine, the drawing and the command)
mod findings;
mod fixtures;
mod flavours;
mod hostile;
mod html;
mod inputs;
mod meta;
mod overlay;
mod pipeline;
mod schemas;
