//! The services the tests and benchmarks talk to: PostgreSQL (the shared queue's tests) and
//! moto's server mode (an AWS-API server on loopback for the SQS, SNS and S3 tests).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::run;

/// The queue's PostgreSQL tests need a server: use `TASKHOST_TEST_POSTGRES_URL`, else the
/// local one on 127.0.0.1:5432, starting a Debian cluster (`pg_ctlcluster`) when it is down.
pub(crate) fn check_postgres() -> Result<()> {
    if std::env::var("TASKHOST_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        return Ok(());
    }
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], 5432));
    let up = || {
        std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_secs(2)).is_ok()
    };
    if up() {
        return Ok(());
    }
    if let Ok(versions) = std::fs::read_dir("/etc/postgresql") {
        for version in versions.flatten() {
            let version = version.file_name().to_string_lossy().into_owned();
            let _ = run(Command::new("pg_ctlcluster").args([
                "--skip-systemctl-redirect",
                &version,
                "main",
                "start",
            ]));
        }
        for _ in 0..30 {
            if up() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    bail!(
        "the queue tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) or \
         TASKHOST_TEST_POSTGRES_URL; none is running and none could be started"
    )
}

/// A `moto_server` child on a free loopback port, stopped when dropped.
///
/// Tests find it through `TASKHOST_TEST_AWS_ENDPOINT`; they create their own queues, topics and
/// buckets, so one server serves every test binary at once. When `TASKHOST_TEST_AWS_ENDPOINT`
/// is already set (a server somebody runs), nothing is started.
pub(crate) struct MotoServer {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub(crate) endpoint: String,
}

impl MotoServer {
    /// Starts `moto_server` from the virtualenv whose interpreter is `python`.
    pub(crate) fn start(python: &Path, log_dir: &Path) -> Result<Self> {
        if let Ok(endpoint) = std::env::var("TASKHOST_TEST_AWS_ENDPOINT")
            && !endpoint.is_empty()
        {
            return Ok(Self {
                child: None,
                endpoint,
            });
        }
        let moto = python.with_file_name("moto_server");
        if !moto.is_file() {
            bail!(
                "{} is missing: the virtualenv should have moto[server] (tests/aws-requirements.txt)",
                moto.display()
            );
        }
        // A free port: bind port 0, read it, let it go. moto binds it a moment later.
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        std::fs::create_dir_all(log_dir)?;
        let log = std::fs::File::create(log_dir.join("moto_server.log"))?;
        let child = Command::new(&moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", moto.display()))?;
        let server = Self {
            child: Some(child),
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        for _ in 0..300 {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                eprintln!("xtask: moto_server listens on {}", server.endpoint);
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "moto_server did not listen on {address} within 30 s (log: {})",
            log_dir.join("moto_server.log").display()
        )
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
