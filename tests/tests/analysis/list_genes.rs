//! `ListGenes`: the two sample envelopes, checked against the stored var table.

use serde_json::{Value, json};
use taskhost_analysis::anndata::read_var;
use taskhost_e2e::{envelope, sample};

use super::{EXPERIMENT, exec, prepared};

#[test]
fn list_genes_filtered_sample_counts_every_match_and_orders_by_dispersion() {
    let p = prepared();
    let body = exec(&sample("list-genes-filtered", EXPERIMENT)).body(&p.host);
    let var = read_var(&mut p.store()).expect("var reads");
    // `%IN%`: the symbol contains "in", ASCII case-insensitive.
    let matches: Vec<usize> = (0..var.len())
        .filter(|&g| var.gene_names[g].to_ascii_lowercase().contains("in"))
        .collect();
    assert!(matches.len() > 20);
    assert_eq!(body["total"], json!(matches.len()), "{body}");
    let rows = body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 20);
    for row in rows {
        let mut keys: Vec<&str> = row
            .as_object()
            .expect("a row object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["dispersions", "gene_names", "highly_variable"]);
    }
    let top = matches
        .iter()
        .map(|&g| var.dispersions[g])
        .filter(|d| !d.is_nan())
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(rows[0]["dispersions"].as_f64(), Some(top));
    let dispersions: Vec<f64> = rows
        .iter()
        .map(|r| r["dispersions"].as_f64().expect("no NaN among the top 20"))
        .collect();
    assert!(
        dispersions.windows(2).all(|w| w[0] >= w[1]),
        "{dispersions:?}"
    );
}

#[test]
fn list_genes_unfiltered_sample_totals_every_gene() {
    let p = prepared();
    let body = exec(&sample("list-genes", EXPERIMENT)).body(&p.host);
    assert_eq!(body["total"], json!(32738));
    assert_eq!(body["rows"].as_array().map(Vec::len), Some(20));
}

#[test]
fn list_genes_past_the_last_page_still_totals_the_matches() {
    let task = envelope(
        json!({"name": "ListGenes", "geneNamesFilter": "cst_", "offset": 1000, "limit": 5}),
        EXPERIMENT,
    );
    let body: Value = exec(&task).body(&prepared().host);
    assert!(body["total"].as_u64().unwrap_or(0) >= 1, "{body}");
    assert_eq!(body["rows"], json!([]));
}

#[test]
fn list_genes_with_an_unknown_order_column_is_invalid_input_naming_it() {
    let task = envelope(
        json!({"name": "ListGenes", "orderBy": "expression_level"}),
        EXPERIMENT,
    );
    let (code, message) = exec(&task).failure();
    assert_eq!(code, "INVALID_INPUT", "{message}");
    assert!(message.contains("expression_level"), "{message}");
}
