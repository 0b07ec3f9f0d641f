#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The house's layout (README, "Layout"): the dependencies that must never exist between the
//! parts, read from `cargo metadata`, and the domain's promise to do no I/O, read from its
//! source. A new edge or an import that breaks a rule fails here, naming it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core sits in the workspace")
        .to_path_buf()
}

/// Every workspace package with the names of everything it depends on (any kind: normal,
/// dev, build), as `cargo metadata --no-deps` reports them.
fn workspace_dependencies() -> Vec<(String, Vec<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    meta["packages"]
        .as_array()
        .expect("a package list")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("a dependency list")
                .iter()
                .map(|d| d["name"].as_str().expect("a name").to_owned())
                .collect();
            (p["name"].as_str().expect("a name").to_owned(), deps)
        })
        .collect()
}

/// (package, what it must never depend on, why)
const NEVER: &[(&str, &[&str], &str)] = &[
    (
        "huoshui-core",
        &[
            "huoshui-server",
            "huoshui-ffi",
            "huoshui",
            "axum",
            "tower-http",
            "maud",
        ],
        "the core runs on the phone: it never links the platform, the bindings or the shell",
    ),
    (
        "huoshui-server",
        &["huoshui-ffi", "huoshui", "uniffi"],
        "the platform never links the phone's bindings or the terminal shell",
    ),
    (
        "huoshui-ffi",
        &["huoshui-server", "huoshui", "axum"],
        "the bindings ship inside the apps: never the platform or the shell",
    ),
    (
        "huoshui",
        &["huoshui-ffi", "uniffi"],
        "the shell uses the core directly, never through the bindings",
    ),
];

#[test]
fn no_part_depends_on_what_the_layout_forbids() {
    let packages = workspace_dependencies();
    for (name, _, _) in NEVER {
        assert!(
            packages.iter().any(|(p, _)| p == name),
            "the layout names {name}, which is not in the workspace any more; update NEVER"
        );
    }
    let mut broken = Vec::new();
    for (package, deps) in &packages {
        for (name, forbidden, why) in NEVER {
            if package == name {
                for dep in deps.iter().filter(|d| forbidden.contains(&d.as_str())) {
                    broken.push(format!("{package} depends on {dep}: {why}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// What the domain must never name: disk, network, processes, the async runtime, the
/// databases, HTTP and the clock.
const DOMAIN_FORBIDS: &[&str] = &[
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "std::thread",
    "tokio",
    "rusqlite",
    "reqwest",
    "SystemTime",
    "Instant::now",
    "Timestamp::now",
    "Zoned::now",
    "::now()",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_domain_does_no_io_and_reads_no_clock() {
    let domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&domain, &mut files);
    assert!(files.len() > 10, "the domain's files are found");
    let mut broken = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in DOMAIN_FORBIDS {
                if code.contains(word) {
                    broken.push(format!("{}:{}: {word}", file.display(), i + 1));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "core/src/domain must do no I/O and read no clock (time comes in as a value):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_domain_check_sees_a_forbidden_import() {
    // The check above must be able to fail: a line like this one is what it looks for.
    let line = "use std::fs::File;";
    assert!(DOMAIN_FORBIDS.iter().any(|w| line.contains(w)));
    let comment = "// never std::fs here";
    assert!(
        !DOMAIN_FORBIDS
            .iter()
            .any(|w| comment.split("//").next().unwrap_or("").contains(w))
    );
}
