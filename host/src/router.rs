//! Routing: which loaded plugin runs which task name, and finding plugin files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::runtime::LoadedPlugin;

/// Two plugins claim the same task name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {task} is handled by both {first} and {second}; remove one of them")]
pub struct RouteConflict {
    /// The task name.
    pub task: String,
    /// One plugin's source.
    pub first: String,
    /// The other's.
    pub second: String,
}

/// Task name -> plugin.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: BTreeMap<String, Arc<LoadedPlugin>>,
}

impl Router {
    /// Routes every task name each plugin declares.
    pub fn new(
        plugins: impl IntoIterator<Item = Arc<LoadedPlugin>>,
    ) -> Result<Self, RouteConflict> {
        let mut routes: BTreeMap<String, Arc<LoadedPlugin>> = BTreeMap::new();
        for plugin in plugins {
            for task in &plugin.info.tasks {
                if let Some(existing) = routes.get(task) {
                    if existing.digest != plugin.digest {
                        return Err(RouteConflict {
                            task: task.clone(),
                            first: existing.source.clone(),
                            second: plugin.source.clone(),
                        });
                    }
                    continue;
                }
                routes.insert(task.clone(), Arc::clone(&plugin));
            }
        }
        Ok(Self { routes })
    }

    /// The plugin for `task_name`.
    pub fn route(&self, task_name: &str) -> Option<&Arc<LoadedPlugin>> {
        self.routes.get(task_name)
    }

    /// Every routed task name, sorted.
    pub fn task_names(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(String::as_str)
    }
}

/// The `.wasm` files named by `--plugins`: files as given, folders by their `*.wasm` entries
/// (sorted, not recursive).
pub fn plugin_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && has_wasm_extension(p))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("plugin path {} does not exist", path.display()),
            ));
        }
    }
    Ok(files)
}

fn has_wasm_extension(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm")
}
