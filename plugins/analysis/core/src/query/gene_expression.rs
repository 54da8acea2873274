//! `GeneExpression`: per requested gene, the log-normalised values of the selected cells with
//! their mean and population standard deviation, and the same values capped at
//! [`super::truncation_cap`] with their min and max.
//!
//! Genes are looked up by symbol (ASCII case-insensitive; with duplicated symbols the first
//! gene in var order wins), then by gene id (also case-insensitive). Unknown genes are left
//! out; when none is found the result is a not-found error naming them. The output is keyed by
//! the gene as requested.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{QueryError, parse_body, select_cells, short_f32, short_f32s, truncation_cap};
use crate::anndata::{SparseColumn, VarTable, XColumns, read_gene_names};
use crate::zarr::StoreSource;

/// The body of a `GeneExpression` task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneExpressionRequest {
    /// Gene symbols or ids.
    pub genes: Vec<String>,
    /// Keys of `cellsets.json` (every cell when absent or empty).
    pub cell_sets: Option<Vec<String>>,
}

impl GeneExpressionRequest {
    /// Parses a task body (other fields, such as `name`, are ignored).
    ///
    /// # Errors
    /// [`QueryError::InvalidInput`] when `genes` is missing, empty, or a field has the wrong
    /// type.
    pub fn from_body(body: &Value) -> Result<Self, QueryError> {
        let request: Self = parse_body(body)?;
        if request.genes.is_empty() {
            return Err(QueryError::InvalidInput("genes is empty".to_owned()));
        }
        Ok(request)
    }
}

/// One gene's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneExpression {
    /// The values as stored.
    pub raw_expression: RawExpression,
    /// The values capped at the truncation cap.
    pub truncated_expression: TruncatedExpression,
}

/// Values with mean and population standard deviation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawExpression {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub stdev: f64,
    /// One value per selected cell, in ascending cell order.
    #[serde(serialize_with = "short_f32s")]
    pub expression: Vec<f32>,
}

/// Capped values with their range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruncatedExpression {
    /// Smallest capped value.
    #[serde(serialize_with = "short_f32")]
    pub min: f32,
    /// Largest capped value.
    #[serde(serialize_with = "short_f32")]
    pub max: f32,
    /// One value per selected cell, in ascending cell order.
    #[serde(serialize_with = "short_f32s")]
    pub expression: Vec<f32>,
}

/// The genes of `requested` found in `var`, as `(requested name, gene index)` in request
/// order.
///
/// # Errors
/// [`QueryError::NotFound`] naming every requested gene when none is found.
pub fn resolve_genes(
    var: &VarTable,
    requested: &[String],
) -> Result<Vec<(String, usize)>, QueryError> {
    resolve_gene_names(&var.gene_ids, &var.gene_names, requested)
}

/// [`resolve_genes`] on the two columns it reads.
///
/// # Errors
/// [`QueryError::NotFound`] naming every requested gene when none is found.
pub fn resolve_gene_names(
    gene_ids: &[String],
    gene_names: &[String],
    requested: &[String],
) -> Result<Vec<(String, usize)>, QueryError> {
    // A linear scan per requested gene: a handful of genes against ~30,000 names costs less
    // than hashing every name (no allocation per gene).
    let find =
        |column: &[String], key: &str| column.iter().position(|n| n.eq_ignore_ascii_case(key));
    let found: Vec<(String, usize)> = requested
        .iter()
        .filter_map(|name| {
            find(gene_names, name)
                .or_else(|| find(gene_ids, name))
                .map(|g| (name.clone(), g))
        })
        .collect();
    if found.is_empty() {
        return Err(QueryError::NotFound(format!(
            "genes {}",
            requested.join(", ")
        )));
    }
    Ok(found)
}

/// The result for one gene whose stored column is `column`, over `cells` (ascending).
///
/// # Errors
/// [`QueryError::InvalidInput`] when `cells` is empty (no statistics exist).
pub fn expression(column: &SparseColumn, cells: &[u32]) -> Result<GeneExpression, QueryError> {
    if cells.is_empty() {
        return Err(QueryError::InvalidInput(
            "the selected cell sets hold no cells".to_owned(),
        ));
    }
    let mut values = Vec::with_capacity(cells.len());
    let mut p = 0;
    for &cell in cells {
        while p < column.cells.len() && column.cells[p] < cell {
            p += 1;
        }
        values.push(if column.cells.get(p) == Some(&cell) {
            column.values[p]
        } else {
            0.0
        });
    }
    #[allow(clippy::cast_precision_loss)]
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let stdev = (values
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let mut sorted: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    sorted.sort_by(f64::total_cmp);
    let cap = truncation_cap(&sorted).unwrap_or(0.0);
    let truncated: Vec<f32> = values
        .iter()
        .map(|&v| {
            if f64::from(v) > cap {
                #[allow(clippy::cast_possible_truncation)]
                let c = cap as f32;
                c
            } else {
                v
            }
        })
        .collect();
    let min = truncated.iter().copied().fold(f32::INFINITY, f32::min);
    let max = truncated.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    Ok(GeneExpression {
        raw_expression: RawExpression {
            mean,
            stdev,
            expression: values,
        },
        truncated_expression: TruncatedExpression {
            min,
            max,
            expression: truncated,
        },
    })
}

/// Answers a `GeneExpression` request from a stored experiment: reads `var`'s ids and
/// symbols, the selected cells and each found gene's column (two byte-range reads per gene).
///
/// # Errors
/// [`QueryError`]: not found (genes, cell sets), invalid input, or a store failure.
pub fn gene_expression(
    src: &mut dyn StoreSource,
    request: &GeneExpressionRequest,
    cellsets_json: Option<&[u8]>,
) -> Result<Value, QueryError> {
    let var = read_gene_names(src)?;
    let genes = resolve_gene_names(&var.ids, &var.names, &request.genes)?;
    let x = XColumns::open(src)?;
    let cells = select_cells(cellsets_json, request.cell_sets.as_deref(), x.n_cells)?;
    let mut out = Map::new();
    for (name, g) in genes {
        let column = x.column(src, g)?;
        let result = expression(&column, &cells)?;
        let value = serde_json::to_value(&result)
            .map_err(|e| QueryError::Corrupt(format!("serialising {name}: {e}")))?;
        out.insert(name, value);
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests;
