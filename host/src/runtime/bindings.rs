//! The one `bindgen!` of the `task-plugin` world. Nothing outside `runtime/` and
//! `capabilities/` sees these types; the rest of the host uses its own.

wasmtime::component::bindgen!({
    world: "task-plugin",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
    with: {
        "taskhost:plugin/storage.object-reader": crate::capabilities::storage::ObjectReader,
    },
});

pub(crate) use self::taskhost::plugin::types;
