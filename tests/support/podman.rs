//! podman as the container tests use it: builds and runs the repo's
//! `Dockerfile` on machines without a Docker engine or a registry.
//!
//! Why these settings (Debian's podman 4.3 on the CI machines):
//! - storage is private to this checkout (`target/podman/storage`, driver
//!   `vfs`, which needs no kernel overlay support), so test images never mix
//!   with the machine's own and two checkouts do not share state;
//! - `runc` with cgroupfs, and no default ulimits: crun and the default
//!   ulimits fail in these (nested) containers;
//! - base images cannot be pulled, so `debian:bookworm-slim` is built from
//!   Debian's packages with `mmdebstrap` and imported (the tarball is cached in
//!   `target/podman/`, so this happens once per checkout);
//! - podman's run-time state (run root, `tmp_dir`) sits in a short per-checkout
//!   dir under /tmp, apart from the machine's `/run/libpod`, and events go to
//!   a file (there is no journald);
//! - builds never pull (`--pull=never`): a missing image is an error, not a
//!   download.

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsStr;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::server::workspace_root;

/// The Debian packages the container tests need (for error messages and docs).
pub const PACKAGES: &str = "podman mmdebstrap runc uidmap";

/// The image name the Dockerfile's runtime stage starts `FROM`.
pub const DEBIAN_BASE: &str = "debian:bookworm-slim";

/// The prefix of every container and image name the tests make.
const NAME_PREFIX: &str = "vmware-mcp-test-";

/// A name no other run uses, for a container, an image or a scratch dir:
/// `vmware-mcp-test-WHAT-PID-NANOS`. The process id lets a later run tell
/// the leftovers of a killed run (see [`Podman::remove_leftovers`]).
pub fn unique_name(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{NAME_PREFIX}{what}-{}-{nanos:08x}", std::process::id())
}

/// The process id in a [`unique_name`], if `name` is one.
fn creator_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let mut parts = rest.rsplit('-');
    let _nanos = parts.next()?;
    parts.next()?.parse().ok()
}

/// The programs the container tests run (runc through podman).
const TOOLS: [&str; 3] = ["podman", "mmdebstrap", "runc"];

/// Where the tools may live: PATH, plus the sbin directories a non-login
/// shell's PATH may lack (runc is in /usr/sbin on Debian).
fn tool_dirs() -> Vec<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .collect()
}

/// The [`TOOLS`] found in none of `dirs`.
fn missing_tools(dirs: &[PathBuf]) -> Vec<&'static str> {
    TOOLS
        .into_iter()
        .filter(|tool| !dirs.iter().any(|dir| dir.join(tool).is_file()))
        .collect()
}

/// What to tell the user when tools are missing: which, and what to install.
fn install_advice(missing: &[&str]) -> String {
    format!(
        "the container image test needs {} (not found on PATH, /usr/sbin or /sbin); \
         install them with `apt-get install -y {PACKAGES}` (Debian/Ubuntu), \
         which .ci/run does on a fresh machine",
        missing.join(", ")
    )
}

/// A podman with this checkout's private storage and settings.
#[derive(Debug, Clone)]
pub struct Podman {
    /// `target/podman`: the storage, the config and the base tarball.
    state: PathBuf,
    /// Short per-checkout dir under /tmp for podman's run-time state
    /// (podman refuses a run root longer than 50 characters).
    run_root: PathBuf,
}

impl Podman {
    /// Check that podman, mmdebstrap and runc are installed (failing with
    /// what to install otherwise), and write the private configuration.
    pub fn for_tests() -> Podman {
        let missing = missing_tools(&tool_dirs());
        assert!(missing.is_empty(), "{}", install_advice(&missing));
        let state = workspace_root().join("target").join("podman");
        std::fs::create_dir_all(&state).expect("creating target/podman");
        let mut hasher = DefaultHasher::new();
        state.hash(&mut hasher);
        let run_root = PathBuf::from(format!("/tmp/vmware-mcp-podman-{:016x}", hasher.finish()));
        std::fs::create_dir_all(&run_root).expect("creating podman's run root");
        let podman = Podman { state, run_root };
        std::fs::write(podman.config_path(), podman.config())
            .expect("writing target/podman/containers.conf");
        podman
    }

    fn config_path(&self) -> PathBuf {
        self.state.join("containers.conf")
    }

    /// containers.conf: see the module comment for why each setting.
    fn config(&self) -> String {
        format!(
            "# Written by tests/support/podman.rs for the container tests.\n\
             [containers]\n\
             default_ulimits = []\n\
             [engine]\n\
             runtime = \"runc\"\n\
             cgroup_manager = \"cgroupfs\"\n\
             events_logger = \"file\"\n\
             tmp_dir = \"{}\"\n",
            self.run_root.join("libpod").display()
        )
    }

    /// `podman` with the private storage and config; add arguments and run.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new("podman");
        cmd.env("CONTAINERS_CONF", self.config_path())
            .arg("--root")
            .arg(self.state.join("storage"))
            .arg("--runroot")
            .arg(&self.run_root)
            .args(["--storage-driver", "vfs"]);
        cmd
    }

    /// Run `podman ARGS` and return its output, whatever the exit status.
    pub fn output<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args
            .into_iter()
            .map(|a| a.as_ref().to_os_string())
            .collect();
        self.command()
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run podman {args:?}: {e}"))
    }

    /// Run `podman ARGS`; fail with its output unless it exits 0. Returns stdout.
    pub fn run<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args
            .into_iter()
            .map(|a| a.as_ref().to_os_string())
            .collect();
        let out = self.output(&args);
        assert!(
            out.status.success(),
            "podman {args:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Remove the containers and images of earlier test runs whose process
    /// is gone (killed before its [`Cleanup`] ran), so they neither keep
    /// running nor fill the disk. Runs still in progress are left alone.
    pub fn remove_leftovers(&self) {
        let dead = |name: &&str| {
            creator_pid(name).is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        };
        let containers = self.run(["ps", "--all", "--format", "{{.Names}}"]);
        let containers: Vec<&str> = containers.lines().filter(dead).collect();
        if !containers.is_empty() {
            let mut args = vec!["rm", "--force", "--ignore", "--time", "0"];
            args.extend(containers);
            self.run(args);
        }
        let images = self.run(["images", "--format", "{{.Repository}}"]);
        let images: Vec<&str> = images
            .lines()
            .map(|r| r.strip_prefix("localhost/").unwrap_or(r))
            .filter(dead)
            .collect();
        if !images.is_empty() {
            let mut args = vec!["rmi", "--force", "--ignore"];
            args.extend(images);
            self.run(args);
        }
        if let Ok(entries) = std::fs::read_dir(self.state.join("scratch")) {
            for entry in entries.flatten() {
                if entry.file_name().to_str().is_some_and(|n| dead(&n)) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }

    /// A new, empty directory `target/podman/scratch/<unique name>` for a
    /// test's files; [`Podman::remove_leftovers`] removes those of killed runs.
    pub fn scratch_dir(&self, what: &str) -> PathBuf {
        let dir = self.state.join("scratch").join(unique_name(what));
        std::fs::create_dir_all(&dir).expect("creating a scratch dir");
        dir
    }

    /// Whether an image of that name is in the private storage.
    pub fn image_exists(&self, name: &str) -> bool {
        self.output(["image", "exists", name]).status.success()
    }

    /// Make sure [`DEBIAN_BASE`] exists: import the cached mmdebstrap tarball,
    /// building it first if needed (about a minute, network to Debian's mirror).
    pub fn ensure_debian_base(&self) {
        if self.image_exists(DEBIAN_BASE) {
            return;
        }
        let tarball = self.state.join("debian-bookworm-slim.tar");
        if !tarball.is_file() {
            build_debian_rootfs(&tarball);
        }
        // The same defaults as Docker's official image.
        self.run([
            OsStr::new("import"),
            OsStr::new("--quiet"),
            OsStr::new("--change"),
            OsStr::new("CMD [\"bash\"]"),
            OsStr::new("--change"),
            OsStr::new("ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            tarball.as_os_str(),
            OsStr::new(DEBIAN_BASE),
        ]);
    }
}

/// `mmdebstrap --variant=minbase bookworm`, with the documentation, manual
/// pages and locales left out as Docker's `-slim` images do. Written to a
/// temporary name first, so an interrupted run leaves no half tarball.
fn build_debian_rootfs(tarball: &Path) {
    let partial = tarball.with_extension("tar.partial");
    let slim = [
        "path-exclude=/usr/share/doc/*",
        "path-include=/usr/share/doc/*/copyright",
        "path-exclude=/usr/share/man/*",
        "path-exclude=/usr/share/info/*",
        "path-exclude=/usr/share/lintian/*",
        "path-exclude=/usr/share/locale/*",
        "path-include=/usr/share/locale/locale.alias",
    ];
    let mut cmd = Command::new("mmdebstrap");
    cmd.args(["--quiet", "--variant=minbase", "--format=tar"]);
    for option in slim {
        cmd.arg(format!("--dpkgopt={option}"));
    }
    let out = cmd
        .arg("bookworm")
        .arg(&partial)
        .output()
        .expect("running mmdebstrap");
    assert!(
        out.status.success(),
        "mmdebstrap could not build the Debian bookworm base (is deb.debian.org reachable?): {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&partial, tarball).expect("moving the finished tarball in place");
}

/// Containers and images a test made; removed on drop, also when the test
/// fails, so nothing is left behind in the private storage.
#[derive(Debug)]
pub struct Cleanup {
    podman: Podman,
    containers: Vec<String>,
    images: Vec<String>,
    dirs: Vec<PathBuf>,
}

impl Cleanup {
    /// Nothing to remove yet.
    pub fn new(podman: &Podman) -> Cleanup {
        Cleanup {
            podman: podman.clone(),
            containers: Vec::new(),
            images: Vec::new(),
            dirs: Vec::new(),
        }
    }

    /// Remove this container (by name) at the end.
    pub fn container(&mut self, name: &str) {
        self.containers.push(name.to_string());
    }

    /// Remove this image (by tag) at the end.
    pub fn image(&mut self, tag: &str) {
        self.images.push(tag.to_string());
    }

    /// Remove this directory at the end.
    pub fn dir(&mut self, dir: &Path) {
        self.dirs.push(dir.to_path_buf());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.containers.is_empty() {
            let mut args = vec!["rm", "--force", "--ignore", "--time", "0"];
            args.extend(self.containers.iter().map(String::as_str));
            let _ = self.podman.output(args);
        }
        if !self.images.is_empty() {
            let mut args = vec!["rmi", "--force", "--ignore"];
            args.extend(self.images.iter().map(String::as_str));
            let _ = self.podman.output(args);
            // The build's intermediate layers, now untagged (the storage is
            // private to this checkout, so only test leftovers are pruned).
            let _ = self.podman.output(["image", "prune", "--force"]);
        }
        for dir in &self.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine without the tools gets told which are missing and what to
    /// install, rather than a skipped test.
    #[test]
    fn missing_tools_are_named_with_the_packages_to_install() {
        let empty = workspace_root().join("target/podman-tool-check/empty");
        let full = workspace_root().join("target/podman-tool-check/full");
        std::fs::create_dir_all(&empty).unwrap();
        std::fs::create_dir_all(&full).unwrap();
        for tool in ["podman", "runc"] {
            std::fs::write(full.join(tool), "").unwrap();
        }
        assert_eq!(
            missing_tools(std::slice::from_ref(&empty)),
            ["podman", "mmdebstrap", "runc"]
        );
        let missing = missing_tools(&[empty, full]);
        assert_eq!(missing, ["mmdebstrap"]);
        let advice = install_advice(&missing);
        assert!(
            advice.contains("needs mmdebstrap")
                && advice.contains("apt-get install -y podman mmdebstrap runc uidmap"),
            "{advice}"
        );
    }

    /// Leftovers are recognised by the creator's process id in their name.
    #[test]
    fn unique_names_carry_the_creating_process() {
        let name = unique_name("image-root");
        assert!(name.starts_with("vmware-mcp-test-image-root-"), "{name}");
        assert_eq!(creator_pid(&name), Some(std::process::id()));
        assert_eq!(creator_pid("localhost/debian"), None);
        assert_eq!(creator_pid("vmware-mcp-test-run-notapid-1f"), None);
    }
}
