//! Unit tests of the MatrixMarket parser.

use std::io::Write;

use super::*;

fn input(bytes: &[u8]) -> InputFile<'_> {
    InputFile {
        name: "matrix.mtx",
        bytes,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

const SMALL: &[u8] = b"%%MatrixMarket matrix coordinate integer general\n\
%metadata_json: {}\n\
3 2 4\n\
1 1 5\n\
3 1 1\n\
2 2 7\n\
3 2 2\n";

fn small_expected() -> Csr {
    // genes x cells [[5, 0], [0, 7], [1, 2]] transposed: cells x genes.
    Csr {
        n_rows: 2,
        n_cols: 3,
        indptr: vec![0, 2, 4],
        indices: vec![0, 2, 1, 2],
        data: vec![5.0, 1.0, 7.0, 2.0],
    }
}

#[test]
fn plain_file_becomes_cells_by_genes() {
    assert_eq!(parse_mtx(input(SMALL)).unwrap(), small_expected());
}

#[test]
fn gzipped_file_gives_the_same_matrix() {
    let gz = gzip(SMALL);
    assert_eq!(parse_mtx(input(&gz)).unwrap(), small_expected());
}

#[test]
fn crlf_trailing_blanks_and_missing_final_newline_are_accepted() {
    let text = b"%%MatrixMarket matrix coordinate integer general\r\n3 2 4\r\n1 1 5 \r\n3 1 1\r\n2\t2\t7\r\n3 2 2";
    assert_eq!(parse_mtx(input(text)).unwrap(), small_expected());
}

#[test]
fn unsorted_entries_and_duplicates_are_sorted_and_summed() {
    let text = b"%%MatrixMarket matrix coordinate integer general\n3 2 5\n3 2 2\n2 2 7\n3 1 1\n1 1 4\n1 1 1\n";
    assert_eq!(parse_mtx(input(text)).unwrap(), small_expected());
}

#[test]
fn unsorted_genes_within_a_sorted_cell_are_sorted() {
    let text =
        b"%%MatrixMarket matrix coordinate integer general\n3 2 4\n3 1 1\n1 1 5\n3 2 2\n2 2 7\n";
    assert_eq!(parse_mtx(input(text)).unwrap(), small_expected());
}

#[test]
fn real_and_pattern_fields() {
    let real = b"%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 2.5e0\n";
    assert_eq!(parse_mtx(input(real)).unwrap().data, vec![2.5]);
    let pattern = b"%%MatrixMarket matrix coordinate pattern general\n2 1 1\n2 1\n";
    let m = parse_mtx(input(pattern)).unwrap();
    assert_eq!((m.indices, m.data), (vec![1], vec![1.0]));
}

#[test]
fn lines_longer_than_the_buffer_and_many_blocks_parse() {
    let mut text = b"%%MatrixMarket matrix coordinate integer general\n".to_vec();
    let n = 300_000u32;
    text.extend_from_slice(format!("1 {n} {n}\n").as_bytes());
    for c in 1..=n {
        text.extend_from_slice(format!("1 {c} {}\n", c % 7 + 1).as_bytes());
    }
    let m = parse_mtx(input(&gzip(&text))).unwrap();
    assert_eq!(m.nnz(), n as usize);
    assert_eq!(m.data[299_999], (300_000 % 7 + 1) as f32);
}

#[test]
fn the_eight_byte_reader_and_the_general_parser_agree() {
    // The same entries with single spaces (the fast path) and with tabs and wide numbers
    // (the general one), mixed line by line, give the same matrix.
    let (genes, cells) = (40_000u32, 3_000u32);
    let mut entries = Vec::new();
    let mut x = 12_345u64;
    for cell in 1..=cells {
        for _ in 0..5 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let gene = (x >> 33) % u64::from(genes) + 1;
            entries.push((gene, cell, (x >> 20) % 10_000_000));
        }
    }
    let render = |fast: bool| {
        let mut text = b"%%MatrixMarket matrix coordinate integer general\n".to_vec();
        text.extend_from_slice(format!("{genes} {cells} {}\n", entries.len()).as_bytes());
        for (i, (g, c, v)) in entries.iter().enumerate() {
            let line = if fast || i % 3 == 0 {
                format!("{g} {c} {v}\n")
            } else {
                format!("{g:09}\t{c}  {v}\r\n")
            };
            text.extend_from_slice(line.as_bytes());
        }
        text
    };
    let fast = parse_mtx(input(&render(true))).unwrap();
    let mixed = parse_mtx(input(&gzip(&render(false)))).unwrap();
    assert_eq!(fast, mixed);
    assert!(
        fast.data.iter().any(|&v| v >= 1e6),
        "7-digit values are read"
    );
}

fn error_of(text: &[u8]) -> String {
    parse_mtx(input(text)).unwrap_err().to_string()
}

#[test]
fn bad_header_names_file_and_line() {
    assert_eq!(
        error_of(b"%%MatrixMarket matrix array real general\n1 1\n1\n"),
        "matrix.mtx:1: expected '%%MatrixMarket matrix coordinate <integer|real|pattern> general', \
         found '%%MatrixMarket matrix array real general'"
    );
    assert!(
        error_of(b"%%MatrixMarket matrix coordinate complex general\n")
            .contains(":1: unsupported field type 'complex'")
    );
}

#[test]
fn bad_size_line() {
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n%c\n3 x 4\n"),
        "matrix.mtx:3: expected the size line '<rows> <columns> <entries>', found '3 x 4'"
    );
}

#[test]
fn bad_value_names_the_line() {
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1 5\n2 2 7.5\n"),
        "matrix.mtx:4: expected a value, found '7.5'"
    );
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1\n"),
        "matrix.mtx:3: expected a value, found the end of the line"
    );
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n1 1 1 9\n"),
        "matrix.mtx:3: expected a end of line, found '9'"
    );
}

#[test]
fn index_out_of_range() {
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n4 1 1\n"),
        "matrix.mtx:3: row index 4 out of range 1..=3"
    );
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n1 0 1\n"),
        "matrix.mtx:3: column index 0 out of range 1..=2"
    );
}

#[test]
fn entry_count_must_match_the_size_line() {
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n3 2 3\n1 1 1\n"),
        "matrix.mtx: the size line announces 3 entries but the file has 1"
    );
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n1 1 1\n2 1 1\n"),
        "matrix.mtx:4: more entries than the 1 the size line announces"
    );
    assert_eq!(
        error_of(b"%%MatrixMarket matrix coordinate integer general\n"),
        "matrix.mtx: no size line: the file ends in its header"
    );
}

#[test]
fn truncated_gzip_is_a_gzip_error() {
    let gz = gzip(SMALL);
    let err = parse_mtx(input(&gz[..gz.len() / 2])).unwrap_err();
    assert!(matches!(err, ReadError::Gzip { .. }), "{err}");
}

#[test]
fn indices_of_19_digits_and_more_are_checked_not_wrapped() {
    // 19 digits take the unchecked path, 20 the checked one; both are out of range here, and
    // a value past u64::MAX must be a malformed token, never a wrapped small index.
    let long =
        b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n1000000000000000000 1 1\n";
    assert!(error_of(long).contains("row index 1000000000000000000 out of range"));
    let wrap =
        b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n18446744073709551618 1 1\n";
    let message = error_of(wrap);
    assert!(message.starts_with("matrix.mtx:3:"), "{message}");
    assert!(message.contains("expected a row index"), "{message}");
    let padded = b"%%MatrixMarket matrix coordinate integer general\n3 2 1\n0000000000000000000003 000000000000000000002 000000000000000000007\n";
    let m = parse_mtx(input(padded)).unwrap();
    assert_eq!(
        (m.indptr, m.indices, m.data),
        (vec![0, 0, 1], vec![2], vec![7.0])
    );
}
