//! The query tasks on a prepared experiment: `ListGenes` ([`list_genes`]) and `GeneExpression`
//! ([`gene_expression`]). Requests are parsed from the task body (`serde_json::Value`); results
//! are JSON values ready to publish.

mod cellsets;
mod gene_expression;
mod like;
mod list_genes;
mod percentile;

pub use cellsets::select_cells;
pub use gene_expression::{
    GeneExpression, GeneExpressionRequest, RawExpression, TruncatedExpression, expression,
    gene_expression, resolve_genes,
};
pub use like::like;
pub use list_genes::{ListGenesRequest, list_genes};
pub use percentile::{percentile, truncation_cap};

use crate::zarr::ZarrError;

/// Why a query failed; the plugin maps the variants to the WIT `failure` cases.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The request is malformed (dead-letter, no retry).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Something the request names does not exist (a user error, no retry).
    #[error("not found: {0}")]
    NotFound(String),
    /// The stored experiment is unreadable or inconsistent (internal).
    #[error("stored experiment: {0}")]
    Corrupt(String),
    /// The store could not be read (internal; may be transient).
    #[error(transparent)]
    Store(#[from] ZarrError),
}

/// Parses a request body, mapping serde's message to [`QueryError::InvalidInput`].
fn parse_body<T: serde::de::DeserializeOwned>(body: &serde_json::Value) -> Result<T, QueryError> {
    T::deserialize(body).map_err(|e| QueryError::InvalidInput(e.to_string()))
}

/// An `f32` as the JSON number of its shortest decimal form (NaN and infinities as `null`).
fn f32_json(v: f32) -> serde_json::Value {
    if v.is_finite() {
        serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
    } else {
        serde_json::Value::Null
    }
}
