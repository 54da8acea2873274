//! `taskhost run` as a child process: start it, learn the address it serves on from its JSON
//! log, signal it (SIGTERM, SIGKILL), wait for it, and read its log.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The test plugins, as `cargo xtask build-plugins` installs them.
pub fn testing_plugin(name: &str) -> PathBuf {
    let dir = std::env::var_os("TASKHOST_PLUGIN_DIR").map_or_else(
        || crate::workspace_root().join("target/plugins"),
        PathBuf::from,
    );
    let path = dir.join("testing").join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "test plugin {} is missing: run `cargo xtask build-plugins` (and set TASKHOST_PLUGIN_DIR \
         when CARGO_TARGET_DIR is set)",
        path.display()
    );
    path
}

/// How to start one host.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// `--queue` (default: the data folder's SQLite file).
    pub queue: Option<String>,
    /// `--plugins`, one per file.
    pub plugins: Vec<PathBuf>,
    /// `--worker-id`.
    pub worker_id: String,
    /// More arguments for `taskhost run`.
    pub args: Vec<String>,
    /// More environment variables (AWS endpoint and credentials, ...).
    pub env: Vec<(String, String)>,
}

impl HostConfig {
    /// A host on `data_dir` with these plugins and default settings.
    pub fn new(data_dir: &Path, worker_id: &str, plugins: Vec<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            queue: None,
            plugins,
            worker_id: worker_id.to_owned(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Adds environment variables.
    #[must_use]
    pub fn envs<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Adds arguments.
    #[must_use]
    pub fn arg(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Sets `--queue`.
    #[must_use]
    pub fn queue(mut self, url: &str) -> Self {
        self.queue = Some(url.to_owned());
        self
    }
}

/// A running `taskhost run`.
#[derive(Debug)]
pub struct RunningHost {
    child: Child,
    /// The API address.
    pub address: SocketAddr,
    /// When its log said it was running.
    pub ready_at: Instant,
    log: Arc<Mutex<String>>,
}

impl RunningHost {
    /// Starts a host with `--listen 127.0.0.1:0` and waits (up to two minutes: the first start
    /// compiles the plugins) until it logs that it runs.
    ///
    /// # Panics
    /// When it cannot start, exits, or does not say where it listens.
    pub fn start(config: &HostConfig) -> Self {
        let mut command = Command::new(crate::taskhost_bin());
        command
            .arg("run")
            .arg("--data-dir")
            .arg(&config.data_dir)
            .args(["--listen", "127.0.0.1:0", "--worker-id", &config.worker_id]);
        if let Some(queue) = &config.queue {
            command.arg("--queue").arg(queue);
        }
        for plugin in &config.plugins {
            command.arg("--plugins").arg(plugin);
        }
        command
            .args(&config.args)
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .env("TASKHOST_LOG_FORMAT", "json")
            .env("TASKHOST_LOG", "info")
            .env_remove("TASKHOST_QUEUE")
            .env_remove("TASKHOST_API_TOKEN")
            .env_remove("TASKHOST_ADMIN_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (found, address) = std::sync::mpsc::channel::<SocketAddr>();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(listen) = listen_address(&line) {
                    let _ = found.send(listen);
                }
                let mut log = sink
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                log.push_str(&line);
                log.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(address) = address.recv_timeout(Duration::from_millis(50)) {
                return Self {
                    child,
                    address,
                    ready_at: Instant::now(),
                    log,
                };
            }
            let exited = child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let _ = child.kill();
                std::thread::sleep(Duration::from_millis(100));
                let log = log.lock().map(|l| l.clone()).unwrap_or_default();
                panic!("taskhost run did not start (exit {exited:?}):\n{log}");
            }
        }
    }

    /// The API's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (a graceful shutdown).
    pub fn terminate(&self) {
        signal(self.child.id(), "TERM");
    }

    /// Sends SIGKILL: the host dies at once, holding its leases.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end, at most `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `listen` field of the "taskhost running" log line.
fn listen_address(line: &str) -> Option<SocketAddr> {
    let entry: Value = serde_json::from_str(line).ok()?;
    let fields = &entry["fields"];
    if fields["message"] != "taskhost running" {
        return None;
    }
    fields["listen"].as_str()?.parse().ok()
}

/// Sends a signal with `kill(1)`.
fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// The value of the Prometheus counter `taskhost_tasks_total` for a task name and outcome.
pub fn tasks_total(metrics: &str, task: &str, outcome: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("taskhost_tasks_total{"))
        .filter(|l| {
            l.contains(&format!("task=\"{task}\"")) && l.contains(&format!("outcome=\"{outcome}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}
