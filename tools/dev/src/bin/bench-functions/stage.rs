//! Staging: the one folder the harness launches from. `E2E_BIN_DIR` names
//! a single directory, so the release binaries and the Node.js authorizer's
//! launcher are linked together into `target/bench-functions/bin/`, and a
//! missing binary or Node.js tool is found here, before anything is timed.

use std::path::{Path, PathBuf};

use e2e_tests::runtime_api::{target_dir, workspace_root};

/// The binaries a full run needs, as `cargo build --release --workspace`
/// leaves them.
const FUNCTIONS: [&str; 9] = [
    "authorizer",
    "pre-sign-up",
    "post-confirmation",
    "custom-message",
    "pre-authentication",
    "post-authentication",
    "user-migration",
    SENDER,
    ECHO,
];
/// The floor: `bench/echo`, lambda_runtime returning its event.
pub const ECHO: &str = "lambda-echo";
/// The custom sender, built from its own workspace
/// (`functions/custom-sender/bootstrap`) into the same target folder.
pub const SENDER: &str = "custom-sender";
/// The Node.js authorizer's launcher, as linked beside the binaries.
pub const NODE_AUTHORIZER: &str = "authorizer-node";

/// Where the harness finds what it launches.
pub struct Staged {
    /// `target/bench-functions`.
    pub root: PathBuf,
    /// `target/bench-functions/bin`, holding links to the binaries.
    pub bin_dir: PathBuf,
    /// The real folder of the release binaries.
    pub source: PathBuf,
    /// `target/criterion`, read for the verify bench's results.
    pub criterion_dir: PathBuf,
    /// `node --version`, when the Node.js comparison can run.
    pub node: Result<String, String>,
}

pub fn stage(with_node: bool) -> Result<Staged, String> {
    let source = std::env::var_os("E2E_BIN_DIR")
        .map(PathBuf::from)
        .ok_or("set E2E_BIN_DIR to the folder of the release binaries, e.g. $PWD/target/release")?;
    let source = std::fs::canonicalize(&source)
        .map_err(|err| format!("E2E_BIN_DIR {}: {err}", source.display()))?;
    let target = target_dir();
    let root = target.join("bench-functions");
    let bin_dir = root.join("bin");
    for dir in [&bin_dir, &root.join("e2e-logs")] {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(format!("clear {}: {err}", dir.display())),
        }
    }
    std::fs::create_dir_all(&bin_dir).map_err(|err| format!("{}: {err}", bin_dir.display()))?;
    let link = |real: &Path, name: &str| {
        std::os::unix::fs::symlink(real, bin_dir.join(name))
            .map_err(|err| format!("link {} into {}: {err}", real.display(), bin_dir.display()))
    };
    // A binary that is not there is left out here; `missing` then names it
    // if a row to be run needs it (`--only` may not).
    for name in FUNCTIONS {
        let real = source.join(name);
        if real.is_file() {
            link(&real, name)?;
        }
    }
    // A missing tool fails the run, naming it, unless the comparison is
    // turned off by name: a table without its Node.js rows would not say why.
    let node = if with_node {
        Ok(node_version().map_err(|reason| format!("{reason} (or pass --no-node)"))?)
    } else {
        Err("--no-node".to_owned())
    };
    if node.is_ok() {
        link(&node_dir().join(NODE_AUTHORIZER), NODE_AUTHORIZER)?;
    }
    Ok(Staged {
        root,
        bin_dir,
        source,
        criterion_dir: target.join("criterion"),
        node,
    })
}

pub fn node_dir() -> PathBuf {
    workspace_root().join("bench/node")
}

/// The size of the `node` executable on `PATH`.
pub fn node_binary_size() -> u64 {
    std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("node"))
                .find(|candidate| candidate.is_file())
                .and_then(|node| std::fs::metadata(node).ok())
                .map(|metadata| metadata.len())
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// `node --version`, or why the comparison cannot run.
fn node_version() -> Result<String, String> {
    if !node_dir()
        .join("node_modules/aws-jwt-verify/package.json")
        .is_file()
    {
        return Err("bench/node/node_modules is missing: run `npm ci` in bench/node".to_owned());
    }
    let output = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map_err(|err| format!("cannot run node: {err}"))?;
    if !output.status.success() {
        return Err("`node --version` failed".to_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The error for the first of `binaries` that was not staged.
pub fn missing<'a>(
    staged: &Staged,
    binaries: impl IntoIterator<Item = &'a str>,
) -> Result<(), String> {
    for name in binaries {
        if !staged.bin_dir.join(name).exists() {
            let build = if name == SENDER {
                "cargo build --release --locked --manifest-path \
                 functions/custom-sender/bootstrap/Cargo.toml --target-dir <that folder's target>"
            } else {
                "cargo build --release --workspace --bins --locked"
            };
            return Err(format!(
                "no {} (build with `{build}`)",
                staged.source.join(name).display()
            ));
        }
    }
    Ok(())
}
