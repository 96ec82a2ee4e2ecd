//! The `check` report as JUnit XML (through quick-junit): one test suite for the image,
//! one test case per rule. A failed rule is a `<failure>` with its message, the fix and
//! its contributors; a skipped rule is `<skipped>`; a warned rule passes and says so in
//! its `system-out`, since JUnit has no warning state.

use super::ByteFormat;
use super::check::contributor_line;
use crate::model::check::CheckReport;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::io::{self, Write};

/// Renders the check report as JUnit XML.
pub fn render(r: &CheckReport, bytes: ByteFormat, out: &mut dyn Write) -> io::Result<()> {
    let mut report = Report::new("deadweight check");
    let mut suite = TestSuite::new(format!("deadweight check {}", r.image_name()));
    for rule in &r.rules {
        let detail = || {
            let mut s = format!("{}\nchecks: {}", rule.message, rule.description);
            for c in &rule.contributors {
                s.push_str(&format!("\n- {}", contributor_line(c, bytes)));
            }
            if let Some(fix) = &rule.fix {
                s.push_str(&format!("\nfix: {fix}"));
            }
            s
        };
        let status = match rule.status.as_str() {
            "fail" => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(rule.message.as_str())
                    .set_type("budget")
                    .set_description(detail());
                s
            }
            "skip" => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(rule.message.as_str());
                s
            }
            _ => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(rule.id.as_str(), status);
        case.set_classname(format!("deadweight.{}", r.image_name()));
        if rule.status == "warn" {
            case.set_system_out(format!("WARN: {}", detail()));
        } else if rule.status == "pass" {
            case.set_system_out(rule.message.as_str());
        }
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}
