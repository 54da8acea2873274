//! The one `bindgen!` of the `task-plugin` world. Nothing outside `runtime/` and
//! `capabilities/` sees these types; the rest of the host uses its own.

wasmtime::component::bindgen!({
    world: "task-plugin",
    path: "../wit",
    imports: {
        "taskhost:plugin/linalg.[method]pca-job.wait": async | trappable,
        default: async,
    },
    exports: { default: async },
    with: {
        "taskhost:plugin/storage.object-reader": crate::capabilities::storage::ObjectReader,
        "taskhost:plugin/linalg.pca-job": crate::capabilities::linalg::PcaJob,
    },
});

pub(crate) use self::taskhost::plugin::types;
