//! Plugin `gene-expression`, task `GeneExpression`: for each requested gene (symbol or id,
//! case-insensitive) of a prepared experiment, the log-normalised values of the selected cells
//! (`cellSets` keys of the experiment's `cellsets.json`, all cells when absent) with mean and
//! population stdev, and the values capped at the 95th percentile with min and max. Unknown
//! genes are left out; when none is found the task fails with not-found naming them.
//!
//! The logic is the core's [`taskhost_analysis::query::gene_expression`]; each gene costs two
//! byte-range reads of `X`. Needs no grant: it reads only the task's experiment.

use taskhost_analysis::plugin::{ExperimentStore, query_error, read_cellsets};
use taskhost_analysis::query::{GeneExpressionRequest, gene_expression};
use taskhost_sdk::{Error, Output, Plugin, PluginInfo, Task, export_plugin};

struct GeneExpression;

impl Plugin for GeneExpression {
    /// Parsed by the core's [`GeneExpressionRequest::from_body`] (which also refuses an empty
    /// `genes`).
    type Input = serde_json::Value;

    fn info() -> PluginInfo {
        PluginInfo::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .handles("GeneExpression")
            .memory_limit(1 << 30)
    }

    fn run(_task: &Task, body: serde_json::Value) -> Result<Vec<Output>, Error> {
        let request = GeneExpressionRequest::from_body(&body).map_err(query_error)?;
        let wants_sets = request.cell_sets.as_ref().is_some_and(|s| !s.is_empty());
        let cellsets = if wants_sets { read_cellsets()? } else { None };
        let result = gene_expression(&mut ExperimentStore::open(), &request, cellsets.as_deref())
            .map_err(query_error)?;
        Ok(vec![Output::json(&result)?])
    }
}

export_plugin!(GeneExpression);
