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
    gene_expression, resolve_gene_names, resolve_genes,
};
pub use like::{Like, like};
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
///
/// `serde_json` keeps numbers as `f64`, so a plain conversion would print `0.1f32` as
/// `0.10000000149011612`; going through the shortest decimal that reads back as the same `f32`
/// keeps results exact and about half as long.
fn f32_json(v: f32) -> serde_json::Value {
    if v.is_finite() {
        serde_json::Value::from(short_f64(v))
    } else {
        serde_json::Value::Null
    }
}

/// The `f64` nearest to `v`'s shortest decimal form (the same `f32` when narrowed).
pub(crate) fn short_f64(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// Serialises `f32`s as [`short_f64`]s.
pub(crate) fn short_f32s<S: serde::Serializer>(values: &[f32], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(|&v| short_f64(v)))
}

/// Serialises one `f32` as a [`short_f64`].
pub(crate) fn short_f32<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(short_f64(*v))
}

#[cfg(test)]
mod short_tests {
    use super::*;

    #[test]
    fn f32_values_print_in_their_shortest_form_and_read_back_exactly() {
        for v in [0.1f32, 1.111_715_3, 3.780_722_9, 0.0, -2.5e-8, 1e30] {
            let text = f32_json(v).to_string();
            assert!(text.len() <= 15, "{v}: {text}");
            let back: f64 = text.parse().unwrap();
            assert_eq!(back as f32, v, "{text}");
        }
        assert_eq!(f32_json(f32::NAN), serde_json::Value::Null);
    }
}
