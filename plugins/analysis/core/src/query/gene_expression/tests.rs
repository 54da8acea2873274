//! GeneExpression: statistics, truncation, lookups, and the whole query on a stored store.

use serde_json::json;

use super::*;
use crate::anndata::encode;
use crate::testutil::experiment;
use crate::zarr::MemoryStore;

fn column(cells: &[u32], values: &[f32]) -> SparseColumn {
    SparseColumn {
        cells: cells.to_vec(),
        values: values.to_vec(),
    }
}

#[test]
fn statistics_and_truncation_of_a_small_column() {
    // 20 cells, values 1..=20 at cells 0..20 (no zeros).
    let cells: Vec<u32> = (0..20).collect();
    let values: Vec<f32> = (1..=20).map(|v| v as f32).collect();
    let r = expression(&column(&cells, &values), &cells).unwrap();
    assert_eq!(r.raw_expression.mean, 10.5);
    // Population variance of 1..=n is (n² - 1) / 12.
    assert!((r.raw_expression.stdev - (399.0f64 / 12.0).sqrt()).abs() < 1e-12);
    // 95th percentile: index 19 * 0.95 = 18.05 -> 19 + 0.05 * (20 - 19) = 19.05.
    assert!((r.truncated_expression.max - 19.05).abs() < 1e-5);
    assert_eq!(r.truncated_expression.min, 1.0);
    assert_eq!(
        r.truncated_expression.expression[19],
        r.truncated_expression.max
    );
    assert_eq!(r.truncated_expression.expression[..19], values[..19]);
}

#[test]
fn a_gene_whose_95th_percentile_is_zero_uses_a_higher_one() {
    // 100 cells, non-zero only in cells 97, 98, 99 (1, 2, 3): the 95th and 96th percentiles
    // are 0; the 97th is 0.03 (99 * 0.97 = 96.03, between 0 and 1).
    let cells: Vec<u32> = (0..100).collect();
    let r = expression(&column(&[97, 98, 99], &[1.0, 2.0, 3.0]), &cells).unwrap();
    assert!((r.truncated_expression.max - 0.03).abs() < 1e-6);
    assert_eq!(r.truncated_expression.min, 0.0);
    assert_eq!(r.raw_expression.expression[99], 3.0);
}

#[test]
fn a_gene_of_all_zeros() {
    let r = expression(&SparseColumn::default(), &[0, 1, 2]).unwrap();
    assert_eq!((r.raw_expression.mean, r.raw_expression.stdev), (0.0, 0.0));
    assert_eq!(
        (r.truncated_expression.min, r.truncated_expression.max),
        (0.0, 0.0)
    );
    assert_eq!(r.raw_expression.expression, vec![0.0; 3]);
    assert!(expression(&SparseColumn::default(), &[]).is_err());
}

#[test]
fn only_selected_cells_in_ascending_order() {
    let r = expression(&column(&[1, 3, 5], &[1.0, 3.0, 5.0]), &[0, 3, 5]).unwrap();
    assert_eq!(r.raw_expression.expression, vec![0.0, 3.0, 5.0]);
}

#[test]
fn lookups_by_symbol_and_id_case_insensitive_first_duplicate_wins() {
    let var = VarTable {
        gene_ids: ["ENSG1", "ENSG2", "ENSG3"].map(String::from).to_vec(),
        gene_names: ["U1", "CST3", "U1"].map(String::from).to_vec(),
        means: vec![0.0; 3],
        dispersions: vec![0.0; 3],
        dispersions_norm: vec![0.0; 3],
        highly_variable: vec![false; 3],
    };
    let req = |g: &[&str]| g.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        resolve_genes(&var, &req(&["cst3", "u1", "ensg3", "NOPE"])).unwrap(),
        vec![("cst3".into(), 1), ("u1".into(), 0), ("ensg3".into(), 2)]
    );
    let err = resolve_genes(&var, &req(&["NOPE", "NADA"])).unwrap_err();
    assert_eq!(err.to_string(), "not found: genes NOPE, NADA");
}

#[test]
fn whole_query_on_a_stored_experiment() {
    let exp = experiment(30, 12);
    let mut store: MemoryStore = encode(&exp).unwrap().into_iter().collect();
    let sets = br#"{"cellSets":[{"key":"c","name":"c","children":[{"key":"c-0","name":"0","cellIds":[5,1,29]}]}]}"#;
    let body =
        json!({"name": "GeneExpression", "genes": ["gene3", "UNKNOWN"], "cellSets": ["c-0"]});
    let request = GeneExpressionRequest::from_body(&body).unwrap();
    let out = gene_expression(&mut store, &request, Some(sets)).unwrap();
    let obj = out.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["gene3"]);
    // Gene "GENE3" is gene index 3: compare with the in-memory matrix.
    let expected: Vec<f32> = [1usize, 5, 29]
        .iter()
        .map(|&c| {
            let (idx, _) = exp.counts.row(c);
            idx.iter()
                .position(|&g| g == 3)
                .map_or(0.0, |p| exp.log_norm[exp.counts.indptr[c] + p])
        })
        .collect();
    let got: Vec<f32> = obj["gene3"]["rawExpression"]["expression"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(got, expected);
    let none = GeneExpressionRequest::from_body(&json!({"genes": ["X"]})).unwrap();
    assert!(matches!(
        gene_expression(&mut store, &none, None),
        Err(QueryError::NotFound(_))
    ));
    assert!(GeneExpressionRequest::from_body(&json!({"genes": []})).is_err());
    assert!(GeneExpressionRequest::from_body(&json!({"cellSets": ["a"]})).is_err());
}
