//! Another vCenter client (pyVmomi, one session kept open) that changes
//! vcsim behind the server's back on command, so a test can act the moment
//! a change is done (`tests/python/vsphere_driver.py` lists the commands).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use crate::{Vcsim, workspace_root};

/// A running `vsphere_driver.py`, killed when dropped.
pub struct Driver {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Driver {
    /// Connect a driver to `sim`.
    pub fn start(sim: &Vcsim) -> Driver {
        let mut child = Command::new("python3")
            .arg(workspace_root().join("tests/python/vsphere_driver.py"))
            .args([
                sim.endpoint.url.as_str(),
                sim.endpoint.username.as_str(),
                sim.endpoint.password.as_str(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs (pip install pyvmomi)");
        let input = child.stdin.take().expect("piped stdin");
        let output = BufReader::new(child.stdout.take().expect("piped stdout"));
        Driver {
            child,
            input,
            output,
        }
    }

    /// Run one command and return its answer; a failed command fails the test.
    pub fn run(&mut self, command: &str) -> String {
        writeln!(self.input, "{command}").expect("the driver reads commands");
        self.input.flush().expect("the driver reads commands");
        let mut line = String::new();
        self.output
            .read_line(&mut line)
            .expect("the driver answers");
        let answer = line.trim().to_string();
        assert!(
            !answer.is_empty() && !answer.starts_with("error"),
            "pyVmomi command {command:?} failed: {answer:?}"
        );
        answer
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
