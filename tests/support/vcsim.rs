//! Starting govmomi's vcsim (through the harness in `tests/vcsim/`) and a
//! `vmware-mcp` pointed at it, as an operator would configure a real vCenter.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

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

/// A running simulator; stopped on drop.
pub struct Vcsim {
    child: Child,
    _stdin: ChildStdin,
    /// Where and how to reach it.
    pub endpoint: VcsimEndpoint,
    name: String,
}

impl Drop for Vcsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The harness binary, built by `tests/vcsim/build.sh` (CI runs it before the tests).
pub fn harness() -> PathBuf {
    let out = Command::new("sh")
        .arg(workspace_root().join("tests/vcsim/build.sh"))
        .output()
        .expect("running tests/vcsim/build.sh");
    assert!(
        out.status.success(),
        "building the vcsim harness failed (apt-get install golang-go golang-github-vmware-govmomi-dev): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .last()
            .expect("build.sh prints the binary path"),
    )
}

impl Vcsim {
    /// Start a simulator with the given harness flags (e.g. `["-model", "esx"]`).
    pub fn start(name: &str, flags: &[&str]) -> Vcsim {
        let dir = scratch_dir(name);
        let cert = dir.join("vcsim-ca.pem");
        let log = std::fs::File::create(dir.join("vcsim.log")).expect("vcsim log");
        let mut child = Command::new(harness())
            .args(flags)
            .arg("-cert-out")
            .arg(&cert)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("starting the vcsim harness");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reading the ready line");
        let endpoint: VcsimEndpoint = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
            panic!(
                "vcsim ready line {line:?}: {e}; see {}",
                dir.join("vcsim.log").display()
            )
        });
        Vcsim {
            child,
            _stdin: stdin,
            endpoint,
            name: name.to_string(),
        }
    }

    /// The simulator's process id (to pause it with SIGSTOP, as a stalled vCenter).
    pub fn pid(&self) -> u32 {
        self.child.id()
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
