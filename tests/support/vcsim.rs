//! Starting govmomi's vcsim (through the harness in `tests/vcsim/`) and a
//! `vmware-mcp` pointed at it, as an operator would configure a real vCenter.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;

use crate::server::{ServerOptions, scratch_dir, scratch_file, workspace_root};

/// What the harness prints once it serves.
#[derive(Debug, Clone, Deserialize)]
pub struct VcsimEndpoint {
    /// `https://127.0.0.1:PORT/sdk`
    pub url: String,
    /// The user Login accepts.
    pub username: String,
    /// The password Login accepts.
    pub password: String,
    /// The CA certificate PEM path ("" without TLS).
    pub cert: String,
}

/// What to install when the harness cannot be built or started.
const INSTALL_HINT: &str = "install Go and govmomi (apt-get install golang-go golang-github-vmware-govmomi-dev), or run tools/test.sh";

/// How long the harness may take to print its ready line: generous, because
/// the scale benchmark's 20,000-VM inventory takes minutes to build; the wait
/// only ends early if the harness hangs without exiting.
const READY_TIMEOUT: Duration = Duration::from_secs(600);

/// A running simulator; stopped on drop.
pub struct Vcsim {
    child: Child,
    _stdin: ChildStdin,
    /// Where and how to reach it.
    pub endpoint: VcsimEndpoint,
    name: String,
    dir: PathBuf,
}

impl Drop for Vcsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The harness binary, built by `tests/vcsim/build.sh` once per test process
/// (the script itself skips the build when the binary is up to date).
pub fn harness() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let script = workspace_root().join("tests/vcsim/build.sh");
            let out = Command::new("sh")
                .arg(&script)
                .output()
                .map_err(|e| format!("cannot run {}: {e}; {INSTALL_HINT}", script.display()))?;
            if !out.status.success() {
                return Err(format!(
                    "building the vcsim harness failed ({}): {}\n{INSTALL_HINT}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .map(|line| PathBuf::from(line.trim()))
                .ok_or_else(|| format!("{} printed no binary path", script.display()))
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

impl Vcsim {
    /// Start a simulator with the given harness flags (e.g. `["-model", "esx"]`).
    /// `name` is the test's scratch dir (`target/e2e/<name>`), which keeps the
    /// CA certificate and the simulator's log (`vcsim.log`).
    pub fn start(name: &str, flags: &[&str]) -> Vcsim {
        let dir = scratch_dir(name);
        let cert = dir.join("vcsim-ca.pem");
        let log = std::fs::File::create(dir.join("vcsim.log")).expect("vcsim log");
        let bin = harness();
        let mut child = Command::new(&bin)
            .args(flags)
            .arg("-cert-out")
            .arg(&cert)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL_HINT}", bin.display()));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(READY_TIMEOUT).unwrap_or_default();
        let endpoint: VcsimEndpoint = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!(
                "the vcsim harness did not print its ready line ({e}): {line:?}\n{}",
                std::fs::read_to_string(dir.join("vcsim.log")).unwrap_or_default()
            )
        });
        Vcsim {
            child,
            _stdin: stdin,
            endpoint,
            name: name.to_string(),
            dir,
        }
    }

    /// A vCenter of 2,000 VMs (1,000 in each of two containers, two hosts
    /// each): the size the tool groups' 100 KB tests run at. `containers`
    /// picks them (`["-clusters", "2"]`, or `["-standalone", "1"]` beside
    /// vcsim's one cluster), plus any other flags.
    pub fn with_2000_vms(name: &str, containers: &[&str]) -> Vcsim {
        let mut flags = vec!["-model", "vpx", "-vms", "1000", "-hosts", "2"];
        flags.extend_from_slice(containers);
        Vcsim::start(name, &flags)
    }

    /// The simulator's process id (to pause it with SIGSTOP, as a stalled vCenter).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The test's scratch dir, where the simulator keeps its files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the simulator has logged so far (its `-trace` output goes here too).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("vcsim.log")).unwrap_or_default()
    }

    /// Server options for a `vmware-mcp` pointed at this simulator, trusting its CA.
    pub fn server_options(&self) -> ServerOptions {
        let password_file = scratch_file(
            &self.name,
            "vcenter-password",
            &format!("{}\n", self.endpoint.password),
        );
        let mut options = ServerOptions::default()
            .env("VCENTER_HOST", self.endpoint.url.clone())
            .env("VCENTER_USER", self.endpoint.username.clone())
            .env("VCENTER_PASSWORD_SECRET_PATH", password_file);
        if !self.endpoint.cert.is_empty() {
            options = options.env("VCENTER_CA_FILE", self.endpoint.cert.clone());
        }
        options
    }
}
