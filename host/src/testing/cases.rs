//! Case files for `vmware-mcp plugin test`: what a tool group must do, case
//! by case, checked against the harness's record of each call.
//!
//! ```toml
//! [[case]]
//! name = "power off web-01 when approved"
//! tool = "powerOffVm"                      # the name in the group
//! arguments = { vmName = "web-01" }
//! approval = { operation = "power-off", methods = ["PowerOffVM_Task"], target = "web-01", decision = "grant" }
//! invokes = ["PowerOffVM_Task"]            # exactly these methods, in order
//! expect = { result = { "/powerState" = "poweredOff" } }
//!
//! [[case]]
//! name = "an unknown VM is not found"
//! tool = "powerOffVm"
//! arguments = { vmName = "nope" }
//! invokes = []
//! expect = { error = "not_found" }
//! ```
//!
//! Every case starts from the fixture again. Without `approval`, a case
//! expects no approval to be asked for (one asked for is denied and fails
//! the case); without `invokes`, the invoked methods are not checked.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::vocabulary::ErrorKind;

use super::approver::Approvals;
use super::harness::{Call, Harness};

/// A whole case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The cases, run in order.
    #[serde(rename = "case", default)]
    pub cases: Vec<Case>,
}

/// One call and what it must do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows, for the report.
    pub name: String,
    /// The tool, by its name in the group (or its full MCP name).
    pub tool: String,
    /// The call's arguments.
    #[serde(default)]
    pub arguments: toml::Table,
    /// The approval the tool must ask for, and the scripted answer.
    pub approval: Option<ExpectedApproval>,
    /// The vim25 methods the call must invoke, exactly and in order.
    pub invokes: Option<Vec<String>>,
    /// The result or error expected.
    #[serde(default)]
    pub expect: Expect,
}

/// The approval a case expects, and how the script answers it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedApproval {
    /// The operation the tool names, e.g. `power-off`.
    pub operation: Option<String>,
    /// The methods the grant must cover, exactly.
    pub methods: Option<Vec<String>>,
    /// A target's name (as the host read it) or id that must be among the targets.
    pub target: Option<String>,
    /// `grant` or `deny`.
    pub decision: Decision,
}

/// The scripted answer to an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Approve.
    Grant,
    /// Refuse.
    Deny,
}

/// The expected outcome: result fields, or an error kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// JSON pointer (`/vm/name`) → the value the result must hold there.
    #[serde(default)]
    pub result: BTreeMap<String, toml::Value>,
    /// The error kind (`not_found` or `not-found`); absent means success.
    pub error: Option<String>,
    /// Text the error message must contain.
    pub message_contains: Option<String>,
}

impl CaseFile {
    /// Parse a case file; the error says where and what is valid.
    pub fn parse(text: &str) -> Result<CaseFile, String> {
        let file: CaseFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.cases.is_empty() {
            return Err("no cases: add at least one [[case]] table".into());
        }
        for case in &file.cases {
            if let Some(kind) = &case.expect.error
                && ErrorKind::parse(kind).is_none()
            {
                return Err(format!(
                    "case `{}`: unknown error kind `{kind}`; valid kinds: {}",
                    case.name,
                    ErrorKind::names().join(", ")
                ));
            }
            if case.expect.error.is_some() && !case.expect.result.is_empty() {
                return Err(format!(
                    "case `{}`: expect either `error` or `result` fields, not both",
                    case.name
                ));
            }
            if let Some(bad) = case
                .expect
                .result
                .keys()
                .find(|p| !p.is_empty() && !p.starts_with('/'))
            {
                return Err(format!(
                    "case `{}`: `{bad}` is not a JSON pointer; write `/{bad}` (e.g. \"/vm/name\")",
                    case.name
                ));
            }
        }
        Ok(file)
    }
}

/// How one case went.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// The tool it called.
    pub tool: String,
    /// Every expectation that did not hold; empty when the case passed.
    pub failures: Vec<String>,
}

impl CaseReport {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Run every case, each from a fresh copy of the fixture.
pub async fn run(harness: &mut Harness, file: &CaseFile) -> anyhow::Result<Vec<CaseReport>> {
    let mut reports = Vec::new();
    for case in &file.cases {
        harness.reset_inventory().await?;
        harness.set_approvals(match case.approval.as_ref().map(|a| a.decision) {
            Some(Decision::Grant) => Approvals::Grant,
            _ => Approvals::Deny,
        });
        let arguments = serde_json::to_value(&case.arguments)?;
        let call = harness.call(&case.tool, arguments).await;
        reports.push(CaseReport {
            name: case.name.clone(),
            tool: call.tool.clone(),
            failures: check(case, &call),
        });
    }
    Ok(reports)
}

/// Every way `call` falls short of `case`.
pub fn check(case: &Case, call: &Call) -> Vec<String> {
    let mut failures = Vec::new();
    match (&call.outcome, &case.expect.error) {
        (Ok(result), None) => {
            for (pointer, expected) in &case.expect.result {
                let expected = serde_json::to_value(expected).unwrap_or(Value::Null);
                match result.pointer(pointer) {
                    Some(actual) if same(actual, &expected) => {}
                    Some(actual) => {
                        failures.push(format!("result {pointer} is {actual}, expected {expected}"))
                    }
                    None => failures.push(format!(
                        "result has nothing at {pointer} (expected {expected}); the result was {}",
                        clip(&result.to_string())
                    )),
                }
            }
        }
        (Ok(result), Some(kind)) => failures.push(format!(
            "expected error {kind}, but the call succeeded with {}",
            clip(&result.to_string())
        )),
        (Err(error), None) => failures.push(format!(
            "expected success, but the call failed with {}: {}",
            error.kind(),
            clip(&error.to_string())
        )),
        (Err(error), Some(kind)) => {
            if ErrorKind::parse(kind) != Some(error.error_kind()) {
                failures.push(format!(
                    "expected error {kind}, got {}: {}",
                    error.kind(),
                    clip(&error.to_string())
                ));
            }
        }
    }
    if let (Some(needle), Err(error)) = (&case.expect.message_contains, &call.outcome)
        && !error.to_string().contains(needle.as_str())
    {
        failures.push(format!(
            "the error message does not contain {needle:?}: {}",
            clip(&error.to_string())
        ));
    }
    if let Some(expected) = &case.invokes {
        let invoked = call.invoked();
        if invoked != *expected {
            failures.push(format!(
                "invoked [{}], expected [{}]",
                invoked.join(", "),
                expected.join(", ")
            ));
        }
    }
    failures.extend(check_approval(case.approval.as_ref(), call));
    failures
}

fn check_approval(expected: Option<&ExpectedApproval>, call: &Call) -> Vec<String> {
    let mut failures = Vec::new();
    match (expected, call.approvals.as_slice()) {
        (None, []) => {}
        (None, asked) => failures.push(format!(
            "asked for {} approval(s) the case does not expect (first: {} for [{}]); add an `approval` to the case",
            asked.len(),
            asked[0].operation,
            asked[0].methods.join(", ")
        )),
        (Some(_), []) => failures.push("expected an approval request, but none was asked for".into()),
        (Some(expected), [asked]) => {
            if let Some(operation) = &expected.operation
                && *operation != asked.operation
            {
                failures.push(format!(
                    "approval operation is {:?}, expected {operation:?}",
                    asked.operation
                ));
            }
            if let Some(methods) = &expected.methods
                && *methods != asked.methods
            {
                failures.push(format!(
                    "approval covers methods [{}], expected [{}]",
                    asked.methods.join(", "),
                    methods.join(", ")
                ));
            }
            if let Some(target) = &expected.target
                && !asked
                    .targets
                    .iter()
                    .any(|(r, name)| name == target || r.value == *target)
            {
                let targets: Vec<String> = asked
                    .targets
                    .iter()
                    .map(|(r, name)| format!("{name} ({})", r.value))
                    .collect();
                failures.push(format!(
                    "approval targets [{}], expected {target}",
                    targets.join(", ")
                ));
            }
        }
        (Some(_), asked) => failures.push(format!(
            "asked for {} approvals, expected one",
            asked.len()
        )),
    }
    failures
}

/// Equal as JSON values, with numbers compared by value (TOML `2` and JSON `2.0` agree).
fn same(actual: &Value, expected: &Value) -> bool {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => actual == expected,
    }
}

/// At most [`SHOWN_CHARS`] characters of a result or message, in a reason.
fn clip(text: &str) -> String {
    vmware_vocabulary::quote::cut(text, SHOWN_CHARS)
}

/// How much of a result or an error message a failure reason shows.
const SHOWN_CHARS: usize = 400;

/// The report as a table, the reasons under each failed case, and a
/// closing count.
pub fn render(reports: &[CaseReport]) -> String {
    let width = reports
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!("{:<width$}  {:<6}  TOOL\n", "CASE", "RESULT");
    for report in reports {
        let verdict = if report.passed() { "pass" } else { "FAIL" };
        out.push_str(&format!(
            "{:<width$}  {:<6}  {}\n",
            report.name, verdict, report.tool
        ));
        for failure in &report.failures {
            out.push_str(&format!("    - {failure}\n"));
        }
    }
    let failed = reports.iter().filter(|r| !r.passed()).count();
    out.push_str(&format!(
        "\n{} of {} cases passed, {failed} failed\n",
        reports.len() - failed,
        reports.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::approver::ApprovalAsked;
    use crate::testing::recorder::Invocation;
    use crate::vocabulary::VsError;
    use crate::vsphere::MoRef;

    const CASES: &str = r#"
[[case]]
name = "off"
tool = "powerOffVm"
arguments = { vmName = "web-01" }
approval = { operation = "power-off", methods = ["PowerOffVM_Task"], target = "web-01", decision = "grant" }
invokes = ["PowerOffVM_Task"]
expect = { result = { "/powerState" = "poweredOff", "/n" = 2 } }
"#;

    fn call(
        outcome: Result<serde_json::Value, VsError>,
        invoked: &[&str],
        asked: Vec<ApprovalAsked>,
    ) -> Call {
        Call {
            tool: "infra.vmware.vms.powerOffVm".into(),
            outcome,
            invocations: invoked
                .iter()
                .map(|m| Invocation {
                    method: m.to_string(),
                    target: MoRef::new("VirtualMachine", "vm-1"),
                    arguments: Default::default(),
                    failed: None,
                })
                .collect(),
            approvals: asked,
        }
    }

    fn asked(methods: &[&str]) -> ApprovalAsked {
        ApprovalAsked {
            operation: "power-off".into(),
            summary: String::new(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            targets: vec![(MoRef::new("VirtualMachine", "vm-1"), "web-01".into())],
            granted: true,
        }
    }

    #[test]
    fn a_matching_call_passes_and_each_difference_is_a_reason() {
        let file = CaseFile::parse(CASES).unwrap();
        let case = &file.cases[0];
        let good = call(
            Ok(json!({"powerState": "poweredOff", "n": 2.0})),
            &["PowerOffVM_Task"],
            vec![asked(&["PowerOffVM_Task"])],
        );
        assert_eq!(check(case, &good), Vec::<String>::new());
        let bad = call(
            Ok(json!({"powerState": "poweredOn"})),
            &["PowerOffVM_Task", "ResetVM_Task"],
            vec![asked(&["ResetVM_Task"])],
        );
        let reasons = check(case, &bad);
        assert_eq!(reasons.len(), 4, "{reasons:#?}");
        assert!(
            reasons[0].contains(r#"/n"#) || reasons[1].contains("/n"),
            "{reasons:#?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(r#"result /powerState is "poweredOn", expected "poweredOff""#))
        );
        assert!(reasons.iter().any(|r| {
            r.contains("invoked [PowerOffVM_Task, ResetVM_Task], expected [PowerOffVM_Task]")
        }));
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("approval covers methods [ResetVM_Task]"))
        );
        let failed = call(Err(VsError::NotFound("no VM".into())), &[], vec![]);
        let reasons = check(case, &failed);
        assert!(
            reasons[0].contains("expected success, but the call failed with not_found"),
            "{reasons:#?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("expected an approval request")),
            "{reasons:#?}"
        );
    }

    #[test]
    fn bad_case_files_say_what_is_wrong() {
        assert!(CaseFile::parse("").unwrap_err().contains("no cases"));
        let e = CaseFile::parse(
            "[[case]]\nname = \"x\"\ntool = \"t\"\nexpect = { error = \"nope\" }\n",
        )
        .unwrap_err();
        assert!(
            e.contains("unknown error kind `nope`") && e.contains("not_found"),
            "{e}"
        );
        let e = CaseFile::parse(
            "[[case]]\nname = \"x\"\ntool = \"t\"\nexpect = { result = { \"a\" = 1 } }\n",
        )
        .unwrap_err();
        assert!(e.contains("not a JSON pointer"), "{e}");
        let e = CaseFile::parse("[[case]]\nname = \"x\"\ntool = \"t\"\ninvoke = []\n").unwrap_err();
        assert!(e.contains("invoke"), "{e}");
        let ok = CaseFile::parse(
            "[[case]]\nname = \"x\"\ntool = \"t\"\nexpect = { error = \"not-found\" }\n",
        )
        .unwrap();
        let refused = call(Err(VsError::NotFound("gone".into())), &[], vec![]);
        assert!(check(&ok.cases[0], &refused).is_empty());
    }

    #[test]
    fn the_table_names_failed_cases_and_their_reasons() {
        let table = render(&[
            CaseReport {
                name: "first".into(),
                tool: "t".into(),
                failures: vec![],
            },
            CaseReport {
                name: "second".into(),
                tool: "t".into(),
                failures: vec!["why".into()],
            },
        ]);
        assert!(table.contains("first   pass    t"), "{table}");
        assert!(table.contains("second  FAIL    t\n    - why"), "{table}");
        assert!(
            table.ends_with("1 of 2 cases passed, 1 failed\n"),
            "{table}"
        );
    }
}
