//! Project commands (`cargo xtask <command>`), so that a fresh machine with only the Rust
//! toolchain can build, demo and test everything with one command each:
//!
//! - `build-plugins`: adds the `wasm32-wasip2` target if missing, builds every plugin as a
//!   component and copies them to `target/plugins/` (test plugins under `testing/`).
//! - `demo`: the main job: builds host and plugins, installs the plugins in
//!   `./taskhost-data/plugins`, starts `taskhost run` on the defaults (SQLite queue, local
//!   storage), submits the sample tasks with `taskhost submit --wait`, and stops it (SIGTERM).
//! - `test`: builds the plugins, then runs every test of the workspace.
//! - `bench`: the benchmarks (criterion) and the cold-start measurement.
//! - `ci`: formatting and clippy checks, then `test`.

mod services;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use services::{MotoServer, check_postgres};

/// A plugin crate and the file name its component gets under `target/plugins/`.
struct PluginCrate {
    package: &'static str,
    artifact: &'static str,
    installed_as: &'static str,
}

const PLUGINS: &[PluginCrate] = &[
    PluginCrate {
        package: "test-echo",
        artifact: "test_echo",
        installed_as: "testing/echo.wasm",
    },
    PluginCrate {
        package: "test-spin",
        artifact: "test_spin",
        installed_as: "testing/spin.wasm",
    },
    PluginCrate {
        package: "test-hog",
        artifact: "test_hog",
        installed_as: "testing/hog.wasm",
    },
    PluginCrate {
        package: "test-panic",
        artifact: "test_panic",
        installed_as: "testing/panic.wasm",
    },
    PluginCrate {
        package: "test-escape",
        artifact: "test_escape",
        installed_as: "testing/escape.wasm",
    },
    PluginCrate {
        package: "prepare-experiment",
        artifact: "prepare_experiment",
        installed_as: "analysis/prepare-experiment.wasm",
    },
    PluginCrate {
        package: "get-embedding",
        artifact: "get_embedding",
        installed_as: "analysis/get-embedding.wasm",
    },
    PluginCrate {
        package: "list-genes",
        artifact: "list_genes",
        installed_as: "analysis/list-genes.wasm",
    },
    PluginCrate {
        package: "gene-expression",
        artifact: "gene_expression",
        installed_as: "analysis/gene-expression.wasm",
    },
];

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() -> Result<()> {
    let command = std::env::args().nth(1).unwrap_or_default();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match command.as_str() {
        "build-plugins" => build_plugins(&root),
        "demo" => demo(&root),
        "test" => test(&root),
        "bench" => bench(&root),
        "ci" => ci(&root),
        _ => {
            eprintln!("usage: cargo xtask <build-plugins | demo | test | bench | ci>");
            std::process::exit(2);
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(command: &mut Command) -> Result<()> {
    eprintln!("xtask: running {command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let output = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the wasm32-wasip2 target")?;
    if !String::from_utf8_lossy(&output.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

fn build_plugins(root: &Path) -> Result<()> {
    ensure_wasm_target()?;
    let mut build = cargo();
    build.args(["build", "--profile", "plugin", "--target", WASM_TARGET]);
    for plugin in PLUGINS {
        build.args(["-p", plugin.package]);
    }
    run(&mut build)?;
    let built = target_dir(root).join(WASM_TARGET).join("plugin");
    let installed = target_dir(root).join("plugins");
    for plugin in PLUGINS {
        let from = built.join(format!("{}.wasm", plugin.artifact));
        let to = installed.join(plugin.installed_as);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(&from, &to)
            .with_context(|| format!("copy {} to {}", from.display(), to.display()))?;
    }
    eprintln!("xtask: plugins are in {}", installed.display());
    Ok(())
}

/// The main job on embedded defaults: every plugin installed in `./taskhost-data/plugins`,
/// PBMC 3k placed in local storage as producers upload it, then `taskhost run` on the
/// defaults and the sample tasks submitted to it: Echo, PrepareExperiment, and the three
/// queries on the prepared experiment.
fn demo(root: &Path) -> Result<()> {
    build_plugins(root)?;
    run(cargo().args(["build", "--release", "-p", "taskhost"]))?;
    let data = root.join("taskhost-data");
    let plugins_dir = data.join("plugins");
    std::fs::create_dir_all(&plugins_dir)?;
    let installed = target_dir(root).join("plugins");
    for plugin in PLUGINS
        .iter()
        .filter(|p| p.installed_as.starts_with("analysis/") || p.package == "test-echo")
    {
        let name = Path::new(plugin.installed_as)
            .file_name()
            .context("plugin file name")?;
        std::fs::copy(installed.join(plugin.installed_as), plugins_dir.join(name))?;
    }
    let source = data.join("storage/biomage-source-originals/pbmc_count_matrices/hg19");
    std::fs::create_dir_all(&source)?;
    for file in [
        "matrix.mtx.gz",
        "features.tsv.gz",
        "barcodes.tsv.gz",
        "cellsets.json",
    ] {
        std::fs::copy(
            root.join("plugins/analysis/core/testdata/pbmc3k")
                .join(file),
            source.join(file),
        )?;
    }
    let taskhost = target_dir(root).join("release").join("taskhost");
    let mut host = Command::new(&taskhost)
        .args([
            "run",
            "--grant",
            "prepare-experiment=read:biomage-source-originals",
        ])
        .spawn()
        .context("cannot start taskhost run")?;
    let outcome = submit_samples(&taskhost);
    // SIGTERM: the host stops claiming, finishes what runs, and exits.
    let _ = Command::new("kill")
        .args(["-TERM", &host.id().to_string()])
        .status();
    let _ = host.wait();
    outcome?;
    eprintln!(
        "\nThe prepared experiment is in {}",
        data.join("storage/experiments/1234").display()
    );
    Ok(())
}

/// Submits the sample tasks to the local host with `taskhost submit --wait`, one after the
/// other (the queries need the prepared experiment), printing a preview of each result.
fn submit_samples(taskhost: &Path) -> Result<()> {
    let api = std::env::var("TASKHOST_LISTEN").map_or_else(
        |_| "http://127.0.0.1:8080".to_owned(),
        |listen| format!("http://{listen}"),
    );
    // The first submission also waits for the host to answer (it compiles plugins at start).
    let mut waited = 0;
    while !Command::new(taskhost)
        .args([
            "submit",
            "--api",
            &api,
            "--wait",
            "examples/tasks/echo.json",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        waited += 1;
        if waited > 600 {
            bail!("taskhost run did not answer at {api} within a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for task in [
        "echo",
        "prepare-experiment",
        "get-embedding",
        "list-genes",
        "gene-expression",
    ] {
        let started = std::time::Instant::now();
        let output = Command::new(taskhost)
            .args(["submit", "--api", &api, "--wait"])
            .arg(format!("examples/tasks/{task}.json"))
            .output()
            .context("cannot run taskhost submit")?;
        let message = String::from_utf8_lossy(&output.stdout);
        let preview: String = message.chars().take(300).collect();
        eprintln!(
            "\n== {task}: exit {} in {:.2} s, {} bytes of result message\n{preview}{}",
            output.status.code().unwrap_or(-1),
            started.elapsed().as_secs_f64(),
            message.len(),
            if message.len() > 300 { " …" } else { "" }
        );
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            bail!("task {task} failed");
        }
    }
    Ok(())
}

fn test(root: &Path) -> Result<()> {
    build_plugins(root)?;
    check_postgres()?;
    let python = ensure_python_env(root)?;
    let moto = MotoServer::start(&python, &target_dir(root))?;
    let reference = target_dir(root).join("scanpy-reference");
    run(Command::new(&python)
        .arg(root.join("plugins/analysis/core/reference/scanpy_reference.py"))
        .arg(root.join("plugins/analysis/core/testdata/pbmc3k"))
        .arg(&reference))?;
    run(cargo()
        .args(["test", "--release", "--workspace", "--exclude", "xtask"])
        .args(["--features", "taskhost-analysis/scanpy-reference"])
        .env("TASKHOST_PLUGIN_DIR", target_dir(root).join("plugins"))
        .env(
            "TASKHOST_BIN",
            target_dir(root).join("release").join("taskhost"),
        )
        .env("TASKHOST_SCANPY_REFERENCE", &reference)
        .env("TASKHOST_PYTHON", &python)
        .env("TASKHOST_TEST_AWS_ENDPOINT", &moto.endpoint))
}

/// The Python virtualenv of the tests: scanpy and anndata (the reference the analysis tests
/// compare against) and moto's server (the AWS-API server of the SQS, SNS and S3 tests).
/// `.venv/` at the workspace root, created and filled from the pinned requirements when needed.
fn ensure_python_env(root: &Path) -> Result<PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg("-r")
        .arg(root.join("plugins/analysis/core/reference/requirements.txt"))
        .arg("-r")
        .arg(root.join("tests/aws-requirements.txt")))?;
    Ok(python)
}

fn bench(root: &Path) -> Result<()> {
    build_plugins(root)?;
    check_postgres()?;
    run(cargo().args(["build", "--release", "-p", "taskhost"]))?;
    run(cargo()
        .args(["bench", "-p", "taskhost"])
        .env("TASKHOST_PLUGIN_DIR", target_dir(root).join("plugins")))?;
    run(cargo().args(["bench", "-p", "taskhost-queue"]))?;
    let python = ensure_python_env(root)?;
    let moto = MotoServer::start(&python, &target_dir(root))?;
    for bench in ["run", "sqs"] {
        run(cargo()
            .args(["bench", "-p", "taskhost-e2e", "--bench", bench])
            .env("TASKHOST_PLUGIN_DIR", target_dir(root).join("plugins"))
            .env(
                "TASKHOST_BIN",
                target_dir(root).join("release").join("taskhost"),
            )
            .env("TASKHOST_TEST_AWS_ENDPOINT", &moto.endpoint))?;
    }
    Ok(())
}

fn ci(root: &Path) -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    test(root)
}
