//! `GetEmbedding`: `pca` equals the stored `X_pca`; `umap`, `tsne` and unknown types are
//! refused; an unprepared experiment is not found.

use serde_json::json;
use taskhost_analysis::anndata::read_pca;
use taskhost_e2e::{envelope, sample};

use super::{EXPERIMENT, exec, prepared};

#[test]
fn get_embedding_pca_is_the_first_two_stored_components_in_cell_order() {
    let p = prepared();
    let body = exec(&sample("get-embedding", EXPERIMENT)).body(&p.host);
    let rows = body.as_array().expect("an array of [x, y]");
    let stored = read_pca(&mut p.store()).expect("X_pca reads");
    assert_eq!(rows.len(), stored.n_cells);
    assert_eq!(rows.len(), 2700);
    for (cell, row) in rows.iter().enumerate() {
        let xy: Vec<f32> = row
            .as_array()
            .expect("a pair")
            .iter()
            .map(|v| v.as_f64().expect("a number") as f32)
            .collect();
        let expected = &stored.coordinates[cell * stored.n_comps..][..2];
        assert_eq!(xy, expected, "cell {cell}");
    }
}

#[test]
fn get_embedding_umap_and_tsne_are_invalid_input_until_they_exist() {
    for kind in ["umap", "tsne"] {
        let task = envelope(json!({"name": "GetEmbedding", "type": kind}), EXPERIMENT);
        let (code, message) = exec(&task).failure();
        assert_eq!(code, "INVALID_INPUT", "{message}");
        assert!(
            message.contains(kind) && message.contains("later"),
            "{message}"
        );
    }
}

#[test]
fn get_embedding_of_an_unknown_type_names_it() {
    let task = envelope(json!({"name": "GetEmbedding", "type": "phate"}), EXPERIMENT);
    let (code, message) = exec(&task).failure();
    assert_eq!(code, "INVALID_INPUT", "{message}");
    assert!(message.contains("phate"), "{message}");
}

#[test]
fn get_embedding_of_an_unprepared_experiment_is_not_found() {
    let task = envelope(
        json!({"name": "GetEmbedding", "type": "pca"}),
        "never-prepared",
    );
    let (code, message) = exec(&task).failure();
    assert_eq!(code, "NOT_FOUND", "{message}");
    assert!(message.contains("PrepareExperiment"), "{message}");
}
