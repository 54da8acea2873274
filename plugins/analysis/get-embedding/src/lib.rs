//! Plugin `get-embedding`, task `GetEmbedding`: the embedding of a prepared experiment as
//! `[[x, y], ...]`, one pair per cell in `cell_ids` order (the stored rows are in that order).
//!
//! `type: "pca"` gives the first two principal components of `adata.zarr/obsm/X_pca`.
//! `umap` and `tsne` are not computed yet: they fail with an invalid-input error saying so.
//! Needs no grant: it reads only the task's experiment.

use serde::Deserialize;
use taskhost_analysis::anndata::{Embedding, read_pca};
use taskhost_analysis::plugin::{ExperimentStore, store_error};
use taskhost_sdk::{Error, Output, Plugin, PluginInfo, Task, export_plugin};

/// The task's body. `config` (embedding settings) is accepted and not used by `pca`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmbeddingInput {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    #[allow(dead_code)]
    config: Option<serde_json::Value>,
}

struct GetEmbedding;

impl Plugin for GetEmbedding {
    type Input = EmbeddingInput;

    fn info() -> PluginInfo {
        PluginInfo::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .handles("GetEmbedding")
            .memory_limit(1 << 30)
    }

    fn run(_task: &Task, input: EmbeddingInput) -> Result<Vec<Output>, Error> {
        match input.kind.as_str() {
            "pca" => {
                let embedding = read_pca(&mut ExperimentStore::open()).map_err(store_error)?;
                Ok(vec![Output::json(&first_two(&embedding)?)?])
            }
            "umap" | "tsne" => Err(Error::invalid_input(format!(
                "embedding type {:?} is not available yet (it comes in a later version); use \"pca\"",
                input.kind
            ))),
            other => Err(Error::invalid_input(format!(
                "unknown embedding type {other:?} (expected \"pca\", \"umap\" or \"tsne\")"
            ))),
        }
    }
}

/// The first two coordinates of each cell.
fn first_two(embedding: &Embedding) -> Result<Vec<[f32; 2]>, Error> {
    let k = embedding.n_comps;
    if k < 2 || embedding.coordinates.len() != embedding.n_cells * k {
        return Err(Error::internal(format!(
            "obsm/X_pca holds {} values for {} cells x {k} components; a 2-D embedding needs \
             at least 2",
            embedding.coordinates.len(),
            embedding.n_cells
        )));
    }
    Ok(embedding
        .coordinates
        .chunks_exact(k)
        .map(|row| [row[0], row[1]])
        .collect())
}

export_plugin!(GetEmbedding);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_the_first_two_components_in_cell_order() {
        let e = Embedding {
            n_cells: 2,
            n_comps: 3,
            coordinates: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        };
        assert_eq!(first_two(&e).unwrap(), vec![[1.0, 2.0], [4.0, 5.0]]);
    }

    #[test]
    fn an_embedding_of_one_component_is_refused() {
        let e = Embedding {
            n_cells: 2,
            n_comps: 1,
            coordinates: vec![1.0, 2.0],
        };
        assert!(matches!(first_two(&e), Err(Error::Internal(_))));
    }
}
