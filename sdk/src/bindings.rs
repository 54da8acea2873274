//! The wit-bindgen output for the `task-plugin` world. Authors never use this module directly;
//! it is public only so that [`export_plugin!`](crate::export_plugin) can reach it from the
//! author's crate.

// Generated code: its shape is wit-bindgen's, not ours.
#![allow(clippy::too_many_arguments, missing_docs)]

wit_bindgen::generate!({
    world: "task-plugin",
    path: "../wit",
    pub_export_macro: true,
    export_macro_name: "__export_task_plugin",
    default_bindings_module: "taskhost_sdk::bindings",
});
