//! `PrepareExperiment`: the summary, the stored store and cell sets, and the grant it needs.

use serde_json::json;
use taskhost_analysis::anndata::{read_obs, read_var};
use taskhost_e2e::{SOURCE_BUCKET, SOURCE_PATH, pbmc3k_dir, sample};

use super::{EXPERIMENT, fresh_host, prepared};

#[test]
fn prepare_experiment_stores_pbmc3k_as_anndata() {
    let p = prepared();
    let s = &p.summary;
    assert_eq!(s["cells"], json!(2700), "{s}");
    assert_eq!(s["genes"], json!(32738), "{s}");
    assert_eq!(s["highlyVariableGenes"], json!(2000), "{s}");
    assert_eq!(s["components"], json!(50), "{s}");
    assert_eq!(s["store"], json!("adata.zarr"), "{s}");
    assert_eq!(s["cellSets"], json!(true), "{s}");
    assert!(s["keysWritten"].as_u64().unwrap_or(0) > 20, "{s}");

    let mut store = p.store();
    let var = read_var(&mut store).expect("var reads");
    assert_eq!(var.len(), 32738);
    assert_eq!(var.highly_variable.iter().filter(|&&h| h).count(), 2000);
    let obs = read_obs(&mut store).expect("obs reads");
    assert_eq!(obs.barcodes.len(), 2700);
    assert_eq!(obs.cell_ids, (0..2700).collect::<Vec<i64>>());
}

#[test]
fn prepare_experiment_copies_the_cell_sets_beside_the_matrix() {
    let p = prepared();
    let copied = std::fs::read(p.host.experiment(EXPERIMENT).join("cellsets.json"))
        .expect("cellsets.json was copied into the experiment");
    let source = std::fs::read(pbmc3k_dir().join("cellsets.json")).expect("source cell sets");
    assert_eq!(copied, source);
}

#[test]
fn prepare_experiment_honours_n_top_genes_and_n_comps() {
    let host = fresh_host("e2e-prepare-options");
    host.stage_source(&pbmc3k_dir());
    let mut envelope = sample("prepare-experiment", "77");
    envelope["body"]["nTopGenes"] = json!(500);
    envelope["body"]["nComps"] = json!(5);
    let summary = host
        .exec(&envelope, &[taskhost_e2e::SOURCE_GRANT])
        .body(&host);
    assert_eq!(summary["highlyVariableGenes"], json!(500), "{summary}");
    assert_eq!(summary["components"], json!(5), "{summary}");
    let mut store = taskhost_e2e::FsStore(host.experiment("77").join("adata.zarr"));
    let pca = taskhost_analysis::anndata::read_pca(&mut store).expect("X_pca reads");
    assert_eq!((pca.n_cells, pca.n_comps), (2700, 5));
}

#[test]
fn prepare_experiment_without_the_grant_is_denied_the_source_bucket() {
    let host = fresh_host("e2e-denied");
    host.stage_source(&pbmc3k_dir());
    let run = host.exec(&sample("prepare-experiment", EXPERIMENT), &[]);
    let (code, message) = run.failure();
    assert_eq!(code, "INVALID_INPUT", "{message}");
    assert!(
        message.contains(SOURCE_BUCKET) && message.contains("--grant"),
        "{message}"
    );
    assert!(
        !host.experiment(EXPERIMENT).exists(),
        "nothing may be written without the source"
    );
}

#[test]
fn prepare_experiment_on_a_missing_folder_is_not_found() {
    let host = fresh_host("e2e-missing-folder");
    host.stage_source(&pbmc3k_dir());
    let mut envelope = sample("prepare-experiment", EXPERIMENT);
    envelope["body"]["sourceMatrixPath"] = json!(format!("{SOURCE_PATH}-nowhere/"));
    let (code, message) = host
        .exec(&envelope, &[taskhost_e2e::SOURCE_GRANT])
        .failure();
    assert_eq!(code, "NOT_FOUND", "{message}");
    assert!(message.contains("matrix.mtx"), "{message}");
}

#[test]
fn prepare_experiment_from_a_folder_without_cell_sets_removes_stale_ones() {
    let host = fresh_host("e2e-stale-cellsets");
    host.stage_source(&pbmc3k_dir());
    let envelope = sample("prepare-experiment", "88");
    let first = host
        .exec(&envelope, &[taskhost_e2e::SOURCE_GRANT])
        .body(&host);
    assert_eq!(first["cellSets"], json!(true));
    let staged = host
        .storage()
        .join(SOURCE_BUCKET)
        .join(SOURCE_PATH)
        .join("cellsets.json");
    std::fs::remove_file(staged).expect("the staged cell sets");
    let second = host
        .exec(&envelope, &[taskhost_e2e::SOURCE_GRANT])
        .body(&host);
    assert_eq!(second["cellSets"], json!(false));
    assert!(!host.experiment("88").join("cellsets.json").exists());
}
