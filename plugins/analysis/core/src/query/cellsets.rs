//! Cell selection from the experiment's `cellsets.json`
//! (`{"cellSets": [{"key", "name", "children": [{"key", "name", "cellIds": [...]}]}]}`).
//!
//! A key may name a leaf set or a parent (all its descendants' cells). The selection is the
//! union of the named sets: a cell in several sets is counted once, and cells come in
//! ascending index order.

use serde_json::Value;

use super::QueryError;

/// The cells (ascending, unique) of the sets named by `keys`; every cell when `keys` is `None`
/// or empty.
///
/// # Errors
/// [`QueryError::NotFound`] naming keys absent from `cellsets_json` (or when it is needed but
/// absent); [`QueryError::Corrupt`] when the file is not the expected JSON or holds a cell id
/// out of `0..n_cells`.
pub fn select_cells(
    cellsets_json: Option<&[u8]>,
    keys: Option<&[String]>,
    n_cells: usize,
) -> Result<Vec<u32>, QueryError> {
    let keys = match keys {
        Some(k) if !k.is_empty() => k,
        _ => {
            #[allow(clippy::cast_possible_truncation)]
            return Ok((0..n_cells).map(|c| c as u32).collect());
        }
    };
    let bytes = cellsets_json.ok_or_else(|| {
        QueryError::NotFound(format!(
            "cell sets {} (the experiment has no cellsets.json)",
            keys.join(", ")
        ))
    })?;
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| QueryError::Corrupt(format!("cellsets.json: {e}")))?;
    let roots = doc
        .get("cellSets")
        .and_then(Value::as_array)
        .ok_or_else(|| QueryError::Corrupt("cellsets.json: no cellSets array".to_owned()))?;
    let mut selected = vec![false; n_cells];
    let mut missing = Vec::new();
    for key in keys {
        match roots.iter().find_map(|r| find(r, key)) {
            Some(node) => mark(node, &mut selected)?,
            None => missing.push(key.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(QueryError::NotFound(format!(
            "cell sets {}",
            missing.join(", ")
        )));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok((0..n_cells)
        .filter(|&c| selected[c])
        .map(|c| c as u32)
        .collect())
}

fn find<'a>(node: &'a Value, key: &str) -> Option<&'a Value> {
    if node.get("key").and_then(Value::as_str) == Some(key) {
        return Some(node);
    }
    node.get("children")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|c| find(c, key))
}

fn mark(node: &Value, selected: &mut [bool]) -> Result<(), QueryError> {
    if let Some(ids) = node.get("cellIds").and_then(Value::as_array) {
        for id in ids {
            let cell = id
                .as_u64()
                .and_then(|c| usize::try_from(c).ok())
                .filter(|&c| c < selected.len())
                .ok_or_else(|| QueryError::Corrupt(format!("cellsets.json: bad cell id {id}")))?;
            selected[cell] = true;
        }
    }
    if let Some(children) = node.get("children").and_then(Value::as_array) {
        for c in children {
            mark(c, selected)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETS: &[u8] = br#"{"cellSets": [{"key": "louvain", "name": "l", "children": [
        {"key": "louvain-0", "name": "a", "cellIds": [4, 0, 2]},
        {"key": "louvain-1", "name": "b", "cellIds": [1, 2]}]}]}"#;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn union_ascending_each_cell_once() {
        let k = keys(&["louvain-1", "louvain-0"]);
        assert_eq!(
            select_cells(Some(SETS), Some(&k), 6).unwrap(),
            vec![0, 1, 2, 4]
        );
        let parent = keys(&["louvain"]);
        assert_eq!(
            select_cells(Some(SETS), Some(&parent), 6).unwrap(),
            vec![0, 1, 2, 4]
        );
        assert_eq!(select_cells(None, None, 3).unwrap(), vec![0, 1, 2]);
        assert_eq!(select_cells(Some(SETS), Some(&[]), 2).unwrap(), vec![0, 1]);
    }

    #[test]
    fn unknown_keys_and_bad_files() {
        let k = keys(&["louvain-0", "nope", "gone"]);
        let err = select_cells(Some(SETS), Some(&k), 6).unwrap_err();
        assert_eq!(err.to_string(), "not found: cell sets nope, gone");
        let one = keys(&["louvain-0"]);
        assert!(matches!(
            select_cells(Some(SETS), Some(&one), 3),
            Err(QueryError::Corrupt(_))
        ));
        assert!(matches!(
            select_cells(Some(b"[]"), Some(&one), 3),
            Err(QueryError::Corrupt(_))
        ));
        assert!(matches!(
            select_cells(None, Some(&one), 3),
            Err(QueryError::NotFound(_))
        ));
    }
}
