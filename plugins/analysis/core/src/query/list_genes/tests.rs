//! ListGenes: filtering, ordering, ties, NaN, paging, errors.

use serde_json::{Value, json};

use super::*;

fn table() -> VarTable {
    VarTable {
        gene_ids: (0..6).map(|g| format!("ENSG{g}")).collect(),
        gene_names: ["INS", "CD3E", "MALIN1", "cd3d", "PTPRIN", "GAPDH"]
            .map(String::from)
            .to_vec(),
        means: vec![0.5, f64::NAN, 0.1, 0.5, 0.9, 0.5],
        dispersions: vec![1.0, 2.0, f64::NAN, 2.0, -1.0, f64::NAN],
        dispersions_norm: vec![1.0, 2.0, f32::NAN, 2.0, -1.0, 3.0],
        highly_variable: vec![true, false, false, true, false, true],
    }
}

fn run(body: Value) -> Result<Value, QueryError> {
    list_genes(&table(), &ListGenesRequest::from_body(&body)?)
}

fn ids(result: &Value) -> Vec<String> {
    result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["gene_ids"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn sample_task_body_filters_and_orders() {
    let r = run(json!({
        "name": "ListGenes",
        "selectFields": ["highly_variable", "gene_names", "dispersions"],
        "geneNamesFilter": "%IN%",
        "orderBy": "dispersions",
        "orderDirection": "desc",
        "offset": 0,
        "limit": 20
    }))
    .unwrap();
    // INS (1.0), MALIN1 (NaN, last), PTPRIN (-1.0).
    assert_eq!(r["total"], json!(3));
    let names: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["gene_names"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["INS", "PTPRIN", "MALIN1"]);
    assert_eq!(r["rows"][2]["dispersions"], Value::Null);
    assert_eq!(
        r["rows"][0],
        json!({"highly_variable": true, "gene_names": "INS", "dispersions": 1.0})
    );
}

#[test]
fn nan_last_in_both_directions_and_ties_keep_var_order() {
    let asc =
        run(json!({"selectFields": ["gene_ids"], "orderBy": "means", "orderDirection": "ASC"}))
            .unwrap();
    // 0.1 (2), 0.5 tie (0, 3, 5 in var order), 0.9 (4), NaN (1).
    assert_eq!(
        ids(&asc),
        ["ENSG2", "ENSG0", "ENSG3", "ENSG5", "ENSG4", "ENSG1"]
    );
    let desc =
        run(json!({"selectFields": ["gene_ids"], "orderBy": "means", "orderDirection": "Desc"}))
            .unwrap();
    assert_eq!(
        ids(&desc),
        ["ENSG4", "ENSG0", "ENSG3", "ENSG5", "ENSG2", "ENSG1"]
    );
    let dn = run(
        json!({"selectFields": ["gene_ids", "dispersions_norm"], "orderBy": "dispersions_norm"}),
    )
    .unwrap();
    assert_eq!(
        ids(&dn),
        ["ENSG4", "ENSG0", "ENSG1", "ENSG3", "ENSG5", "ENSG2"]
    );
    assert_eq!(dn["rows"][5]["dispersions_norm"], Value::Null);
}

#[test]
fn like_filter_is_case_insensitive() {
    let r = run(json!({"selectFields": ["gene_ids"], "geneNamesFilter": "CD3_"})).unwrap();
    assert_eq!(ids(&r), ["ENSG1", "ENSG3"]);
    let none = run(json!({"geneNamesFilter": "XYZ%"})).unwrap();
    assert_eq!(none, json!({"total": 0, "rows": []}));
}

#[test]
fn pagination_and_empty_page_total() {
    let page = run(json!({"selectFields": ["gene_ids"], "offset": 2, "limit": 2})).unwrap();
    assert_eq!(ids(&page), ["ENSG2", "ENSG3"]);
    assert_eq!(page["total"], json!(6));
    let past = run(json!({"selectFields": ["gene_ids"], "offset": 10, "limit": 5})).unwrap();
    assert_eq!(past, json!({"total": 6, "rows": []}));
    let zero = run(json!({"geneNamesFilter": "%IN%", "limit": 0})).unwrap();
    assert_eq!(zero, json!({"total": 3, "rows": []}));
    let all = run(json!({})).unwrap();
    assert_eq!(all["rows"].as_array().unwrap().len(), 6);
    assert_eq!(all["rows"][0].as_object().unwrap().len(), 6);
}

#[test]
fn unknown_fields_and_bad_types_are_invalid_input_naming_them() {
    let err = run(json!({"selectFields": ["gene_names", "bogus"]})).unwrap_err();
    assert!(
        matches!(&err, QueryError::InvalidInput(m) if m.contains("select field 'bogus'")),
        "{err}"
    );
    let err = run(json!({"orderBy": "nope"})).unwrap_err();
    assert!(
        matches!(&err, QueryError::InvalidInput(m) if m.contains("orderBy 'nope'")),
        "{err}"
    );
    let err = run(json!({"orderDirection": "up"})).unwrap_err();
    assert!(
        matches!(&err, QueryError::InvalidInput(m) if m.contains("'up'")),
        "{err}"
    );
    assert!(matches!(
        run(json!({"offset": -1})),
        Err(QueryError::InvalidInput(_))
    ));
    assert!(matches!(
        run(json!({"limit": "ten"})),
        Err(QueryError::InvalidInput(_))
    ));
}
