//! The README's two commands are the ones a newcomer and CI run: the server
//! starts with `cargo run --release -p vmware-mcp -- --demo`, and the tests
//! run with one script that `.ci/run` runs too, so the README cannot drift
//! from what CI proves.

use std::path::Path;

use vmware_mcp_e2e::workspace_root;

/// The command the README gives to start the server.
const START_COMMAND: &str = "cargo run --release -p vmware-mcp -- --demo";

/// The lines of the first fenced code block after the paragraph starting
/// with `lead` (e.g. "Run the tests").
fn code_block_after(readme: &str, lead: &str) -> Vec<String> {
    let mut lines = readme.lines().skip_while(|l| !l.starts_with(lead));
    assert!(
        lines.next().is_some(),
        "README.md has no paragraph starting with {lead:?}"
    );
    let mut lines = lines.skip_while(|l| !l.starts_with("```"));
    assert!(
        lines.next().is_some(),
        "README.md has no code block after {lead:?}"
    );
    lines
        .take_while(|l| !l.starts_with("```"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path))
        .unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The commands a shell script runs: its lines less comments, blank lines and
/// the `set`/`cd` preamble.
fn commands(script: &str) -> Vec<&str> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with("set ") && !l.starts_with("cd "))
        .collect()
}

#[test]
fn readme_starts_the_server_with_the_demo_command() {
    let block = code_block_after(&read("README.md"), "Run the server");
    assert_eq!(block, [START_COMMAND], "README's start command");
}

#[test]
fn readme_test_command_is_the_script_ci_runs() {
    let block = code_block_after(&read("README.md"), "Run the tests");
    assert_eq!(
        block.len(),
        1,
        "README's test command is one command: {block:?}"
    );
    let test_command = &block[0];
    let script = workspace_root().join(test_command);
    assert!(
        is_executable(&script),
        "README's test command {test_command:?} is an executable script in the repo"
    );

    let ci = read(".ci/run");
    let ci_commands = commands(&ci);
    assert!(
        matches!(
            ci_commands.as_slice(),
            [only] if *only == test_command.as_str() || *only == format!("exec {test_command}")
        ),
        ".ci/run runs the README's test command {test_command:?} and nothing else: {ci_commands:?}"
    );
}

#[test]
fn the_test_script_builds_the_workspace_and_runs_every_test() {
    let script = read("tools/test.sh");
    let commands = commands(&script);
    for needed in [
        "cargo build --workspace --features vmware-mcp/harness",
        "tests/vcsim/build.sh",
        // Every failure is reported, not only the first failing test binary's.
        "cargo test --workspace --no-fail-fast",
    ] {
        assert!(
            commands.contains(&needed),
            "tools/test.sh runs `{needed}`: {commands:?}"
        );
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Plain `cargo test` is the fast tier: the workspace's default members are
/// the crates whose tests need nothing but the Rust toolchain, and the
/// end-to-end crate (vcsim, Chromium, podman, Node clients) is not one of
/// them; the README names both tiers and how to run each.
#[test]
fn plain_cargo_test_is_the_fast_tier_and_the_readme_names_both() {
    let manifest = read("Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.starts_with("default-members"))
        .expect("Cargo.toml names default-members");
    for fast in [
        "\"host\"",
        "\"plugins/sdk\"",
        "\"plugins/vms\"",
        "\"plugins/hosts\"",
    ] {
        assert!(line.contains(fast), "{fast} is a default member: {line}");
    }
    assert!(
        !line.contains("\"tests\""),
        "the end-to-end crate stays out of plain `cargo test`: {line}"
    );
    let readme = read("README.md");
    for named in ["**Fast: `cargo test`.**", "cargo test -p vmware-mcp-e2e"] {
        assert!(readme.contains(named), "README.md names {named}");
    }
}
