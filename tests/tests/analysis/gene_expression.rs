//! `GeneExpression`: `CST3` with and without cell sets, a gene without counts, unknown genes;
//! means and stdevs recomputed here from the stored `X` column.

use serde_json::{Value, json};
use taskhost_analysis::anndata::{XColumns, read_var};
use taskhost_e2e::{envelope, sample};

use super::{EXPERIMENT, exec, prepared};

/// The stored values of gene `gene` for `cells` (ascending), zeros included.
fn stored_values(gene: usize, cells: &[u32]) -> Vec<f32> {
    let mut store = prepared().store();
    let x = XColumns::open(&mut store).expect("X opens");
    let column = x.column(&mut store, gene).expect("the column reads");
    let mut dense = vec![0.0f32; x.n_cells];
    for (&c, &v) in column.cells.iter().zip(&column.values) {
        dense[c as usize] = v;
    }
    cells.iter().map(|&c| dense[c as usize]).collect()
}

/// The first gene whose symbol is `symbol`.
fn gene_index(symbol: &str) -> usize {
    let var = read_var(&mut prepared().store()).expect("var reads");
    var.gene_names
        .iter()
        .position(|n| n == symbol)
        .unwrap_or_else(|| panic!("{symbol} is in PBMC 3k"))
}

/// The cells of the sets named `keys` in the experiment's `cellsets.json`, ascending, unique.
fn cells_of(keys: &[&str]) -> Vec<u32> {
    let path = prepared().host.experiment(EXPERIMENT).join("cellsets.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).expect("cellsets.json"))
        .expect("cellsets.json parses");
    let mut cells: Vec<u32> = doc["cellSets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|root| root["children"].as_array().into_iter().flatten())
        .filter(|set| keys.contains(&set["key"].as_str().unwrap_or_default()))
        .flat_map(|set| set["cellIds"].as_array().into_iter().flatten())
        .map(|c| c.as_u64().expect("a cell id") as u32)
        .collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number") as f32)
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Checks one gene's result against the stored values.
fn check(result: &Value, expected: &[f32]) {
    let raw = &result["rawExpression"];
    assert_eq!(floats(&raw["expression"]), expected);
    let n = expected.len() as f64;
    let mean = expected.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = expected
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    assert!(close(raw["mean"].as_f64().expect("mean"), mean), "{raw}");
    assert!(close(raw["stdev"].as_f64().expect("stdev"), var.sqrt()));
    let truncated = floats(&result["truncatedExpression"]["expression"]);
    let max = result["truncatedExpression"]["max"].as_f64().expect("max") as f32;
    assert_eq!(truncated.len(), expected.len());
    for (t, v) in truncated.iter().zip(expected) {
        assert_eq!(
            *t,
            v.min(max),
            "truncated values are the raw ones capped at max"
        );
    }
}

#[test]
fn gene_expression_sample_with_cell_sets_matches_the_stored_column() {
    let p = prepared();
    let body = exec(&sample("gene-expression", EXPERIMENT)).body(&p.host);
    let keys: Vec<String> = (0..7).map(|i| format!("louvain-{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let cells = cells_of(&keys);
    assert!(!cells.is_empty() && cells.len() < 2700, "{}", cells.len());
    for gene in ["TGFB1", "CST3"] {
        check(&body[gene], &stored_values(gene_index(gene), &cells));
    }
}

#[test]
fn gene_expression_of_cst3_on_all_cells_matches_the_stored_column() {
    let p = prepared();
    let task = envelope(
        json!({"name": "GeneExpression", "genes": ["cst3"]}),
        EXPERIMENT,
    );
    let body = exec(&task).body(&p.host);
    let cells: Vec<u32> = (0..2700).collect();
    let expected = stored_values(gene_index("CST3"), &cells);
    check(&body["cst3"], &expected);
    let max = body["cst3"]["truncatedExpression"]["max"]
        .as_f64()
        .unwrap_or(0.0);
    let top = expected.iter().copied().fold(0.0f32, f32::max);
    assert!(
        max > 0.0 && max < f64::from(top),
        "CST3 is capped below its maximum"
    );
}

#[test]
fn gene_expression_of_a_gene_without_counts_is_all_zeros() {
    let p = prepared();
    let var = read_var(&mut p.store()).expect("var reads");
    let mut store = p.store();
    let x = XColumns::open(&mut store).expect("X opens");
    let gene = (0..var.len())
        .find(|&g| x.column(&mut store, g).is_ok_and(|c| c.cells.is_empty()))
        .expect("PBMC 3k has genes without counts");
    let id = var.gene_ids[gene].clone();
    let task = envelope(json!({"name": "GeneExpression", "genes": [id]}), EXPERIMENT);
    let body = exec(&task).body(&p.host);
    let result = &body[id.as_str()];
    assert_eq!(result["rawExpression"]["mean"], json!(0.0));
    assert_eq!(result["rawExpression"]["stdev"], json!(0.0));
    assert_eq!(result["truncatedExpression"]["min"], json!(0.0));
    assert_eq!(result["truncatedExpression"]["max"], json!(0.0));
    check(result, &vec![0.0; 2700]);
}

#[test]
fn gene_expression_leaves_unknown_genes_out() {
    let task = envelope(
        json!({"name": "GeneExpression", "genes": ["NOT-A-GENE", "CST3"]}),
        EXPERIMENT,
    );
    let body = exec(&task).body(&prepared().host);
    let keys: Vec<&String> = body.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["CST3"]);
}

#[test]
fn gene_expression_of_only_unknown_genes_is_not_found_naming_them() {
    let task = envelope(
        json!({"name": "GeneExpression", "genes": ["NOT-A-GENE"]}),
        EXPERIMENT,
    );
    let run = exec(&task);
    assert_eq!(run.code, Some(1));
    let (code, message) = run.failure();
    assert_eq!(code, "NOT_FOUND", "{message}");
    assert!(message.contains("NOT-A-GENE"), "{message}");
}

#[test]
fn gene_expression_of_an_unknown_cell_set_is_not_found_naming_it() {
    let task = envelope(
        json!({"name": "GeneExpression", "genes": ["CST3"], "cellSets": ["louvain-99"]}),
        EXPERIMENT,
    );
    let (code, message) = exec(&task).failure();
    assert_eq!(code, "NOT_FOUND", "{message}");
    assert!(message.contains("louvain-99"), "{message}");
}
