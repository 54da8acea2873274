//! `ListGenes`: filter the genes by symbol (`LIKE`), order by a var column, page.
//!
//! Ordering: numbers ascending or descending with NaN always last; strings by byte order
//! (case-sensitive); `false` before `true`. The sort is stable and ties keep the var order
//! (ascending gene index) in both directions. `total` counts every match, also when the page
//! is empty.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{QueryError, f32_json, parse_body};
use crate::anndata::{VAR_COLUMNS, VarTable};
use crate::query::like::Like;

/// The body of a `ListGenes` task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListGenesRequest {
    /// The var columns of each row (all of them when absent).
    pub select_fields: Option<Vec<String>>,
    /// A `LIKE` pattern on `gene_names` (every gene when absent).
    pub gene_names_filter: Option<String>,
    /// The var column to order by (var order when absent).
    pub order_by: Option<String>,
    /// `asc` (default) or `desc`, in any case.
    pub order_direction: Option<String>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows to return at most (all when absent).
    pub limit: Option<u64>,
}

impl ListGenesRequest {
    /// Parses a task body (other fields, such as `name`, are ignored).
    ///
    /// # Errors
    /// [`QueryError::InvalidInput`] when a field has the wrong type.
    pub fn from_body(body: &Value) -> Result<Self, QueryError> {
        parse_body(body)
    }
}

fn column_index(name: &str, role: &str) -> Result<usize, QueryError> {
    VAR_COLUMNS.iter().position(|c| *c == name).ok_or_else(|| {
        QueryError::InvalidInput(format!(
            "unknown {role} '{name}' (expected one of {})",
            VAR_COLUMNS.join(", ")
        ))
    })
}

fn value(var: &VarTable, column: usize, gene: usize) -> Value {
    let num = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    match column {
        0 => json!(var.gene_ids[gene]),
        1 => json!(var.gene_names[gene]),
        2 => num(var.means[gene]),
        3 => num(var.dispersions[gene]),
        4 => f32_json(var.dispersions_norm[gene]),
        _ => json!(var.highly_variable[gene]),
    }
}

/// Orders `a` and `b` by `column`, NaN last whatever `desc` says.
fn compare(var: &VarTable, column: usize, desc: bool, a: usize, b: usize) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let directed = |o: Ordering| if desc { o.reverse() } else { o };
    let floats = |x: f64, y: f64| match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => directed(x.total_cmp(&y)),
    };
    match column {
        0 => directed(var.gene_ids[a].cmp(&var.gene_ids[b])),
        1 => directed(var.gene_names[a].cmp(&var.gene_names[b])),
        2 => floats(var.means[a], var.means[b]),
        3 => floats(var.dispersions[a], var.dispersions[b]),
        4 => floats(
            f64::from(var.dispersions_norm[a]),
            f64::from(var.dispersions_norm[b]),
        ),
        _ => directed(var.highly_variable[a].cmp(&var.highly_variable[b])),
    }
}

/// Answers a `ListGenes` request: `{"total": n, "rows": [{field: value, ...}, ...]}`.
///
/// # Errors
/// [`QueryError::InvalidInput`] naming an unknown select field, `orderBy` or `orderDirection`.
pub fn list_genes(var: &VarTable, request: &ListGenesRequest) -> Result<Value, QueryError> {
    let fields: Vec<(String, usize)> = match &request.select_fields {
        Some(fields) => fields
            .iter()
            .map(|f| Ok((f.clone(), column_index(f, "select field")?)))
            .collect::<Result<_, QueryError>>()?,
        None => VAR_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, c)| ((*c).to_owned(), i))
            .collect(),
    };
    let order = request
        .order_by
        .as_deref()
        .map(|o| column_index(o, "orderBy"))
        .transpose()?;
    let desc = match request.order_direction.as_deref() {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("asc") => false,
        Some(d) if d.eq_ignore_ascii_case("desc") => true,
        Some(d) => {
            return Err(QueryError::InvalidInput(format!(
                "unknown orderDirection '{d}' (expected asc or desc)"
            )));
        }
    };
    let mut genes: Vec<usize> = match &request.gene_names_filter {
        Some(pattern) => {
            let pattern = Like::new(pattern);
            (0..var.len())
                .filter(|&g| pattern.matches(&var.gene_names[g]))
                .collect()
        }
        None => (0..var.len()).collect(),
    };
    if let Some(column) = order {
        genes.sort_by(|&a, &b| compare(var, column, desc, a, b));
    }
    let total = genes.len();
    let offset = usize::try_from(request.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = request
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let rows: Vec<Value> = genes
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&g| {
            let row: Map<String, Value> = fields
                .iter()
                .map(|(name, c)| (name.clone(), value(var, *c, g)))
                .collect();
            Value::Object(row)
        })
        .collect();
    Ok(json!({"total": total, "rows": rows}))
}

#[cfg(test)]
mod tests;
