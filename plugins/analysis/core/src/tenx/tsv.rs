//! The tab-separated side files: features/genes (id, symbol[, type]) and barcodes.

use super::{InputFile, ReadError, gz};

/// The gene columns of a features or genes file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// First column: gene ids (Ensembl).
    pub ids: Vec<String>,
    /// Second column: gene symbols.
    pub names: Vec<String>,
}

/// Lines of a text file without their line ending (`\n` or `\r\n`); a final empty line is not
/// a line.
fn lines(text: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let parts = (!text.is_empty()).then(|| body.split(|&b| b == b'\n'));
    parts
        .into_iter()
        .flatten()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .zip(1u64..)
        .map(|(l, n)| (n, l))
}

fn utf8<'t>(file: &InputFile<'_>, line: u64, bytes: &'t [u8]) -> Result<&'t str, ReadError> {
    std::str::from_utf8(bytes).map_err(|e| ReadError::Malformed {
        file: file.name.to_owned(),
        line,
        message: format!("not UTF-8: {e}"),
    })
}

/// Parses `features.tsv` (`id<TAB>symbol<TAB>type`) or `genes.tsv` (`id<TAB>symbol`).
///
/// # Errors
/// [`ReadError::Malformed`] for a line with fewer than two columns or an empty id.
pub fn parse_features(file: InputFile<'_>) -> Result<Features, ReadError> {
    let text = gz::read_all(file.name, file.bytes)?;
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for (n, line) in lines(&text) {
        let line = utf8(&file, n, line)?;
        let mut cols = line.split('\t');
        let (Some(id), Some(name)) = (cols.next(), cols.next()) else {
            return Err(ReadError::Malformed {
                file: file.name.to_owned(),
                line: n,
                message: "expected at least 2 tab-separated columns (id, symbol)".to_owned(),
            });
        };
        if id.is_empty() {
            return Err(ReadError::Malformed {
                file: file.name.to_owned(),
                line: n,
                message: "empty gene id".to_owned(),
            });
        }
        ids.push(id.to_owned());
        names.push(name.to_owned());
    }
    Ok(Features { ids, names })
}

/// Parses `barcodes.tsv`: one barcode per line (the first column when there are several).
///
/// # Errors
/// [`ReadError::Malformed`] for an empty line.
pub fn parse_barcodes(file: InputFile<'_>) -> Result<Vec<String>, ReadError> {
    let text = gz::read_all(file.name, file.bytes)?;
    let mut out = Vec::new();
    for (n, line) in lines(&text) {
        let line = utf8(&file, n, line)?;
        let barcode = line.split('\t').next().unwrap_or_default();
        if barcode.is_empty() {
            return Err(ReadError::Malformed {
                file: file.name.to_owned(),
                line: n,
                message: "empty barcode".to_owned(),
            });
        }
        out.push(barcode.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> InputFile<'_> {
        InputFile {
            name: "features.tsv",
            bytes,
        }
    }

    #[test]
    fn features_with_and_without_type_column() {
        let f = parse_features(file(b"ENSG1\tA\tGene Expression\r\nENSG2\tB\n")).unwrap();
        assert_eq!(f.ids, ["ENSG1", "ENSG2"]);
        assert_eq!(f.names, ["A", "B"]);
    }

    #[test]
    fn features_line_with_one_column_is_an_error_naming_the_line() {
        let err = parse_features(file(b"ENSG1\tA\nENSG2\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "features.tsv:2: expected at least 2 tab-separated columns (id, symbol)"
        );
    }

    #[test]
    fn empty_file_has_no_lines() {
        assert!(parse_barcodes(file(b"")).unwrap().is_empty());
        assert_eq!(
            parse_barcodes(file(b"AAC-1\nGGT-1")).unwrap(),
            ["AAC-1", "GGT-1"]
        );
    }
}
