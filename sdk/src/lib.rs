#![doc = include_str!("../README.md")]
//!
//! Every task runs in a fresh instance: statics do not survive between tasks.

#[doc(hidden)]
pub mod bindings;
mod error;
pub mod linalg;
pub mod log;
pub mod progress;
pub mod storage;
mod task;

pub use error::Error;
pub use storage::{Decoding, ObjectMeta, ObjectReader, Scope, Storage, StorageError};
pub use task::{Output, PluginInfo, Task};

use serde::de::DeserializeOwned;

/// A task plugin. Implement it on a unit struct and pass that struct to [`export_plugin!`].
pub trait Plugin {
    /// The task's `body`, parsed from JSON. The `name` field is in the body too; a struct that
    /// does not deny unknown fields simply ignores it. Use an enum tagged by `name` to handle
    /// several tasks with different inputs, or `serde_json::Value` to take the body as it is.
    type Input: DeserializeOwned;

    /// Who the plugin is, the task names it handles and the limits it asks for. Called when the
    /// host loads the plugin; must be cheap and must not use storage.
    fn info() -> PluginInfo;

    /// Runs one task.
    fn run(task: &Task, input: Self::Input) -> Result<Vec<Output>, Error>;
}

/// Glue between the generated bindings and a [`Plugin`]; used by [`export_plugin!`].
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::__export_task_plugin;
    pub use crate::bindings::Guest;
    pub use crate::bindings::taskhost::plugin::types::{
        Failure, Output as WitOutput, PluginInfo as WitPluginInfo, Task as WitTask,
    };

    use crate::{Error, Plugin, Task};

    /// `describe` for plugin `P`.
    pub fn describe<P: Plugin>() -> WitPluginInfo {
        P::info().into_wit()
    }

    /// `run` for plugin `P`: installs the panic reporter, parses the body, runs, converts.
    pub fn run<P: Plugin>(task: WitTask) -> Result<Vec<WitOutput>, Failure> {
        install_panic_reporter();
        let task = Task::from(task);
        let input: P::Input = serde_json::from_str(&task.body).map_err(|e| {
            Error::InvalidInput(format!(
                "the body of task {} does not parse: {e}",
                task.name
            ))
            .into_failure()
        })?;
        match P::run(&task, input) {
            Ok(outputs) => Ok(outputs.into_iter().map(|o| o.into_wit()).collect()),
            Err(error) => Err(error.into_failure()),
        }
    }

    /// Sends a panic's message to the host's log (field `panic=true`) before the instance
    /// aborts, so that the host can report what went wrong.
    fn install_panic_reporter() {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            crate::log::write(
                crate::log::Level::Error,
                &message,
                &[("panic", "true"), ("location", &location)],
            );
        }));
    }
}

/// Exports a [`Plugin`] as the component's `describe` and `run`.
///
/// Call it once, at the top level of the plugin crate, with the type that implements
/// [`Plugin`].
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __TaskhostPluginExport;

        impl $crate::__private::Guest for __TaskhostPluginExport {
            fn describe() -> $crate::__private::WitPluginInfo {
                $crate::__private::describe::<$plugin>()
            }

            fn run(
                task: $crate::__private::WitTask,
            ) -> ::core::result::Result<
                ::std::vec::Vec<$crate::__private::WitOutput>,
                $crate::__private::Failure,
            > {
                $crate::__private::run::<$plugin>(task)
            }
        }

        $crate::__private::__export_task_plugin!(
            __TaskhostPluginExport with_types_in $crate::bindings
        );
    };
}
