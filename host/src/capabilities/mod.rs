//! The host side of the WIT imports, one folder per interface (like Spin's factors and
//! wasmtime's `crates/wasi`): `mod.rs` holds the per-task context, `add_to_linker` and the
//! security boundary of the interface; `host.rs` only the generated `Host` trait impls;
//! `config.rs` the typed configuration, where the interface has any.
//!
//! Adding an import = one new folder + one line in [`add_to_linker`].

pub(crate) mod linalg;
pub(crate) mod log;
pub(crate) mod progress;
pub mod storage;

use wasmtime::component::Linker;

use crate::runtime::TaskState;

/// Registers every taskhost interface (WASI is registered by the runtime).
pub(crate) fn add_to_linker(linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
    crate::runtime::bindings::types::add_to_linker::<
        TaskState,
        wasmtime::component::HasSelf<TaskState>,
    >(linker, |state| state)?;
    storage::add_to_linker(linker, |state| &mut state.storage)?;
    progress::add_to_linker(linker, |state| &mut state.progress)?;
    log::add_to_linker(linker, |state| &mut state.log)?;
    linalg::add_to_linker(linker, |state| &mut state.linalg)?;
    Ok(())
}

/// `taskhost:plugin/types` declares types only; its (empty) host side.
impl crate::runtime::bindings::types::Host for TaskState {}
