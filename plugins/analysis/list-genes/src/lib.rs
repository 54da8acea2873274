//! Plugin `list-genes`, task `ListGenes`: filters the genes of a prepared experiment by symbol
//! (`geneNamesFilter`, SQL `LIKE`), orders them by any var column, pages them, and returns
//! `{"total": n, "rows": [...]}` with the `selectFields` columns. The logic is the core's
//! [`taskhost_analysis::query::list_genes`]; this crate reads `var` and maps errors.
//! Needs no grant: it reads only the task's experiment.

use taskhost_analysis::anndata::read_var;
use taskhost_analysis::plugin::{ExperimentStore, query_error, store_error};
use taskhost_analysis::query::{ListGenesRequest, list_genes};
use taskhost_sdk::{Error, Output, Plugin, PluginInfo, Task, export_plugin};

struct ListGenes;

impl Plugin for ListGenes {
    /// Parsed by the core's [`ListGenesRequest::from_body`], so that its errors name the field.
    type Input = serde_json::Value;

    fn info() -> PluginInfo {
        PluginInfo::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .handles("ListGenes")
            .memory_limit(512 << 20)
    }

    fn run(_task: &Task, body: serde_json::Value) -> Result<Vec<Output>, Error> {
        let request = ListGenesRequest::from_body(&body).map_err(query_error)?;
        let var = read_var(&mut ExperimentStore::open()).map_err(store_error)?;
        let result = list_genes(&var, &request).map_err(query_error)?;
        Ok(vec![Output::json(&result)?])
    }
}

export_plugin!(ListGenes);
