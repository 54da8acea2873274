//! Test plugin `Escape`: tries to get out of its sandbox in every way a plugin might, and
//! returns a JSON object mapping each attempt to `true` when it succeeded, `false` when it was
//! denied. Every value must be `false` on a correct host.
//!
//! With `"control": true` it instead makes the two reads that must succeed (its own
//! experiment's `own/x`, and `x` in the bucket `granted` when the operator granted it), so a
//! test can tell "denied" from "storage broken".
//!
//! Body: `otherExperiment` (an experiment id that is not the task's, default `other`), `port`
//! (a loopback TCP port to try to connect to; the test listens there and checks that nothing
//! arrived).

use std::collections::BTreeMap;

use serde::Deserialize;
use taskhost_sdk::{Decoding, Error, Output, Plugin, PluginInfo, Task, export_plugin, storage};
use wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EscapeInput {
    #[serde(default = "default_other")]
    other_experiment: String,
    #[serde(default)]
    port: u16,
    #[serde(default)]
    control: bool,
}

fn default_other() -> String {
    "other".to_owned()
}

struct Escape;

impl Plugin for Escape {
    type Input = EscapeInput;

    fn info() -> PluginInfo {
        PluginInfo::new("escape", env!("CARGO_PKG_VERSION")).handles("Escape")
    }

    fn run(_task: &Task, input: EscapeInput) -> Result<Vec<Output>, Error> {
        let exp = storage::experiment();
        if input.control {
            let mut reads: BTreeMap<&str, bool> = BTreeMap::new();
            reads.insert("own_experiment", exp.get("own/x").is_ok());
            reads.insert(
                "granted_bucket",
                storage::bucket("granted").get("x").is_ok(),
            );
            return Ok(vec![Output::json(&reads)?]);
        }
        let other = &input.other_experiment;
        let mut attempts: BTreeMap<&str, bool> = BTreeMap::new();
        attempts.insert(
            "parent_traversal",
            exp.get(&format!("../{other}/x")).is_ok(),
        );
        attempts.insert(
            "nested_traversal",
            exp.get(&format!("a/../../{other}/x")).is_ok(),
        );
        attempts.insert("absolute_key", exp.get("/etc/passwd").is_ok());
        attempts.insert(
            "percent_encoded_traversal",
            exp.get(&format!("%2e%2e/{other}/x")).is_ok()
                || exp.get(&format!("..%2f{other}%2fx")).is_ok()
                || exp.get(&format!("%252e%252e/{other}/x")).is_ok(),
        );
        attempts.insert(
            "backslash_traversal",
            exp.get(&format!("..\\{other}\\x")).is_ok(),
        );
        attempts.insert(
            "ungranted_bucket",
            storage::bucket("experiments")
                .get(&format!("{other}/x"))
                .is_ok(),
        );
        attempts.insert(
            "write_outside",
            exp.put(&format!("../{other}/y"), b"x").is_ok(),
        );
        attempts.insert(
            "stream_outside",
            exp.open_read(&format!("../{other}/x"), Decoding::AsStored)
                .is_ok()
                || storage::bucket("experiments")
                    .open_read(&format!("{other}/x"), Decoding::Gunzip)
                    .is_ok(),
        );
        attempts.insert(
            "background_write_outside",
            exp.put_background(&format!("../{other}/y"), b"x").is_ok()
                || storage::bucket("granted").put_background("y", b"x").is_ok()
                || storage::bucket("experiments")
                    .put_background(&format!("{other}/y"), b"x")
                    .is_ok(),
        );
        attempts.insert("wasi_read_file", std::fs::read("/etc/passwd").is_ok());
        attempts.insert(
            "wasi_list_dir",
            std::fs::read_dir(".").is_ok() || std::fs::read_dir("/").is_ok(),
        );
        attempts.insert(
            "wasi_create_file",
            std::fs::write("escape.txt", b"x").is_ok(),
        );
        attempts.insert("environment", std::env::vars().next().is_some());
        attempts.insert("tcp_connect", tcp_connect(input.port));
        attempts.insert("dns_lookup", dns_lookup());
        Ok(vec![Output::json(&attempts)?])
    }
}

/// Tries a TCP connection to 127.0.0.1:`port` through `wasi:sockets`.
fn tcp_connect(port: u16) -> bool {
    let network = wasi::sockets::instance_network::instance_network();
    let Ok(socket) = wasi::sockets::tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4)
    else {
        return false;
    };
    let address = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (127, 0, 0, 1),
    });
    if socket.start_connect(&network, address).is_err() {
        return false;
    }
    let pollable = socket.subscribe();
    pollable.block();
    socket.finish_connect().is_ok()
}

/// Tries to resolve a host name through `wasi:sockets`.
fn dns_lookup() -> bool {
    let network = wasi::sockets::instance_network::instance_network();
    match wasi::sockets::ip_name_lookup::resolve_addresses(&network, "localhost") {
        Ok(stream) => {
            stream.subscribe().block();
            matches!(stream.resolve_next_address(), Ok(Some(_)))
        }
        Err(_) => false,
    }
}

export_plugin!(Escape);
