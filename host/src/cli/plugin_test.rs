//! `vmware-mcp plugin test COMPONENT.wasm [--inventory FIXTURE] CASES.toml`:
//! load the component into the host's runtime with the test harness, run
//! each case from a fresh copy of the inventory, print a pass/fail table
//! with the reasons for each failure, and exit 1 when any case failed (2
//! when the component, the fixture or the cases could not be loaded).

use std::path::Path;
use std::process::ExitCode;

use crate::testing::cases::{self, CaseFile};
use crate::testing::{Harness, Inventory};

/// Run the cases; the exit code says whether all passed.
pub async fn run(component: &Path, inventory: Option<&Path>, cases_path: &Path) -> ExitCode {
    let file = match std::fs::read_to_string(cases_path)
        .map_err(|e| e.to_string())
        .and_then(|text| CaseFile::parse(&text))
    {
        Ok(file) => file,
        Err(e) => {
            eprintln!("vmware-mcp plugin test: {}: {e}", cases_path.display());
            return ExitCode::from(2);
        }
    };
    let inventory = match inventory {
        Some(path) => Inventory::FixtureFile(path.to_path_buf()),
        None => Inventory::Demo,
    };
    let mut harness = match Harness::load(component, inventory).await {
        Ok(harness) => harness,
        Err(e) => {
            eprintln!("vmware-mcp plugin test: {e:#}");
            return ExitCode::from(2);
        }
    };
    let manifest = harness.manifest();
    println!(
        "{} {} (contract {}), {} tool(s), {} case(s)\n",
        manifest.group,
        manifest.version,
        harness.contract_version(),
        manifest.tools.len(),
        file.cases.len()
    );
    let reports = match cases::run(&mut harness, &file).await {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!("vmware-mcp plugin test: {e:#}");
            return ExitCode::from(2);
        }
    };
    print!("{}", cases::render(&reports));
    if reports.iter().all(|r| r.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
