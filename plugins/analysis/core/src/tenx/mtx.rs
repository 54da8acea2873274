//! A streaming MatrixMarket `coordinate` parser over bytes: decompresses in blocks and parses
//! numbers by hand (no allocation per line), building the cells x genes CSR directly when the
//! file is sorted by cell (as Cell Ranger writes it) and by a counting sort otherwise.

use std::io::Read;

mod swar;

use super::{InputFile, ReadError, gz};
use crate::sparse::Csr;

const BLOCK: usize = 1 << 20;

/// The gene and cell counts the side files announce, with the names of those files.
pub(super) struct Expected<'a> {
    pub(super) genes: (usize, &'a str),
    pub(super) cells: (usize, &'a str),
}

/// Parses a MatrixMarket `coordinate` file of genes x cells (`integer`, `real` or `pattern`,
/// `general`) into a cells x genes CSR matrix of `f32`, summing duplicate entries.
///
/// # Errors
/// [`ReadError`] naming the file and line of the first problem: a bad header, a bad number, an
/// index out of range, or a number of entries different from the size line's.
pub fn parse_mtx(file: InputFile<'_>) -> Result<Csr, ReadError> {
    parse_mtx_expecting(file, None)
}

pub(super) fn parse_mtx_expecting(
    file: InputFile<'_>,
    expected: Option<Expected<'_>>,
) -> Result<Csr, ReadError> {
    parse_mtx_stream(
        file.name,
        gz::reader(file.bytes),
        file.bytes.len(),
        expected,
    )
}

/// [`parse_mtx`] over a reader of the decompressed text (a stream the host decodes, say);
/// `stored_size` is the size of the file as stored, to size the first allocations.
pub(super) fn parse_mtx_stream(
    name: &str,
    mut reader: impl Read,
    stored_size: usize,
    expected: Option<Expected<'_>>,
) -> Result<Csr, ReadError> {
    let mut parser = Parser {
        file: name,
        line: 0,
        field: Field::Integer,
        state: State::Header,
        expected,
        builder: None,
        size_hint: stored_size,
    };
    let mut buf = vec![0u8; BLOCK];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            // A single line longer than the buffer: grow it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = reader
            .read(&mut buf[filled..])
            .map_err(|source| ReadError::Gzip {
                file: name.to_owned(),
                source,
            })?;
        if n == 0 {
            if filled > 0 {
                parser.lines(&buf[..filled])?;
            }
            break;
        }
        filled += n;
        if let Some(last_nl) = buf[..filled].iter().rposition(|&b| b == b'\n') {
            parser.lines(&buf[..=last_nl])?;
            buf.copy_within(last_nl + 1..filled, 0);
            filled -= last_nl + 1;
        }
    }
    parser.finish()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Integer,
    Real,
    Pattern,
}

enum State {
    Header,
    Size,
    Entries,
}

struct Parser<'a> {
    file: &'a str,
    line: u64,
    field: Field,
    state: State,
    expected: Option<Expected<'a>>,
    builder: Option<Builder>,
    size_hint: usize,
}

impl Parser<'_> {
    fn malformed(&self, message: impl Into<String>) -> ReadError {
        ReadError::Malformed {
            file: self.file.to_owned(),
            line: self.line,
            message: message.into(),
        }
    }

    /// Parses complete lines (the last one may lack its `\n` at the end of the file).
    fn lines(&mut self, mut text: &[u8]) -> Result<(), ReadError> {
        while !text.is_empty() {
            if let (State::Entries, Some(builder)) = (&self.state, self.builder.as_mut()) {
                let (consumed, result) = entries(text, self.field, builder, &mut self.line);
                text = &text[consumed..];
                if let Err(message) = result {
                    return Err(self.malformed(message));
                }
                continue;
            }
            let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
            let line = &text[..end];
            text = &text[(end + 1).min(text.len())..];
            self.line += 1;
            self.header_line(line)?;
        }
        Ok(())
    }

    fn header_line(&mut self, line: &[u8]) -> Result<(), ReadError> {
        let line = std::str::from_utf8(line)
            .map_err(|_| self.malformed("not UTF-8"))?
            .trim();
        match self.state {
            State::Header => {
                let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                let ["%%matrixmarket", "matrix", "coordinate", field, "general"] = words[..] else {
                    return Err(self.malformed(format!(
                        "expected '%%MatrixMarket matrix coordinate <integer|real|pattern> \
                         general', found '{line}'"
                    )));
                };
                self.field = match field {
                    "integer" => Field::Integer,
                    "real" | "double" => Field::Real,
                    "pattern" => Field::Pattern,
                    other => {
                        return Err(self.malformed(format!("unsupported field type '{other}'")));
                    }
                };
                self.state = State::Size;
            }
            State::Size => {
                if line.is_empty() || line.starts_with('%') {
                    return Ok(());
                }
                let numbers: Vec<Option<usize>> =
                    line.split_whitespace().map(|w| w.parse().ok()).collect();
                let [Some(genes), Some(cells), Some(nnz)] = numbers[..] else {
                    return Err(self.malformed(format!(
                        "expected the size line '<rows> <columns> <entries>', found '{line}'"
                    )));
                };
                if genes > u32::MAX as usize || cells > u32::MAX as usize {
                    return Err(self.malformed("matrix dimensions exceed 2^32"));
                }
                if let Some(exp) = &self.expected {
                    for (what, have, (want, other)) in
                        [("rows", genes, exp.genes), ("columns", cells, exp.cells)]
                    {
                        if have != want {
                            return Err(ReadError::Inconsistent {
                                file: self.file.to_owned(),
                                message: format!(
                                    "the matrix has {have} {what} but {other} lists {want}"
                                ),
                            });
                        }
                    }
                }
                self.builder = Some(Builder::new(genes, cells, nnz, self.size_hint));
                self.state = State::Entries;
            }
            State::Entries => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<Csr, ReadError> {
        let Some(builder) = self.builder else {
            return Err(ReadError::Inconsistent {
                file: self.file.to_owned(),
                message: "no size line: the file ends in its header".to_owned(),
            });
        };
        if builder.genes.len() != builder.nnz_declared {
            return Err(ReadError::Inconsistent {
                file: self.file.to_owned(),
                message: format!(
                    "the size line announces {} entries but the file has {}",
                    builder.nnz_declared,
                    builder.genes.len()
                ),
            });
        }
        builder.into_csr().map_err(ReadError::from)
    }
}

/// Parses entry lines from the start of `text` until its end; returns the bytes consumed and
/// the first error (the line counter then points at the bad line).
fn entries(
    text: &[u8],
    field: Field,
    builder: &mut Builder,
    line: &mut u64,
) -> (usize, Result<(), String>) {
    let mut p = 0;
    let n = text.len();
    let fast = field != Field::Real;
    while p < n {
        *line += 1;
        let start = p;
        if fast
            && let Some((gene, cell, value, next)) = swar::entry(text, p, field == Field::Integer)
        {
            #[allow(clippy::cast_precision_loss)]
            let value = value as f32;
            if let Err(message) = builder.push(gene, cell, value) {
                return (start, Err(message));
            }
            p = next;
            continue;
        }
        p = skip_blanks(text, p);
        if p >= n || text[p] == b'\n' || text[p] == b'%' {
            // Blank or comment line.
            p = match text[p.min(n)..].iter().position(|&b| b == b'\n') {
                Some(off) => p + off + 1,
                None => n,
            };
            continue;
        }
        let (gene, q) = match uint(text, p) {
            Some(v) => v,
            None => return (start, Err(token_error("row index", text, p))),
        };
        let q2 = skip_blanks(text, q);
        if q2 == q {
            return (start, Err(token_error("column index", text, q2)));
        }
        let (cell, r) = match uint(text, q2) {
            Some(v) => v,
            None => return (start, Err(token_error("column index", text, q2))),
        };
        let (value, s) = match field {
            Field::Pattern => (1.0, r),
            _ => {
                let r2 = skip_blanks(text, r);
                if r2 == r {
                    return (start, Err(token_error("value", text, r2)));
                }
                let parsed = if field == Field::Integer {
                    int(text, r2)
                } else {
                    real(text, r2)
                };
                match parsed {
                    Some(v) => v,
                    None => return (start, Err(token_error("value", text, r2))),
                }
            }
        };
        let e = skip_blanks(text, s);
        if e < n && text[e] != b'\n' {
            return (start, Err(token_error("end of line", text, e)));
        }
        if let Err(message) = builder.push(gene, cell, value) {
            return (start, Err(message));
        }
        p = e + 1;
    }
    (n, Ok(()))
}

fn skip_blanks(text: &[u8], mut p: usize) -> usize {
    while p < text.len() && matches!(text[p], b' ' | b'\t' | b'\r') {
        p += 1;
    }
    p
}

fn token_error(expected: &str, text: &[u8], p: usize) -> String {
    let end = text[p..]
        .iter()
        .position(|&b| b.is_ascii_whitespace())
        .map_or(text.len(), |o| p + o);
    let token = String::from_utf8_lossy(&text[p..end.min(p + 40)]);
    if token.is_empty() {
        format!("expected a {expected}, found the end of the line")
    } else {
        format!("expected a {expected}, found '{token}'")
    }
}

/// An unsigned decimal integer at `p`: its value and the position after it. The first 19
/// digits cannot overflow a `u64`, so only longer numbers take the checked path.
fn uint(text: &[u8], p: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut q = p;
    let fast_end = text.len().min(p + 19);
    while q < fast_end {
        let d = text[q].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v * 10 + u64::from(d);
        q += 1;
    }
    if q == fast_end {
        while let Some(d) = text
            .get(q)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|&d| d <= 9)
        {
            v = v.checked_mul(10)?.checked_add(u64::from(d))?;
            q += 1;
        }
    }
    (q > p && !ends_inside_token(text, q)).then_some((v, q))
}

fn int(text: &[u8], p: usize) -> Option<(f32, usize)> {
    let (neg, p) = match text.get(p) {
        Some(b'-') => (true, p + 1),
        Some(b'+') => (false, p + 1),
        _ => (false, p),
    };
    let (v, q) = uint(text, p)?;
    #[allow(clippy::cast_precision_loss)]
    let v = v as f64;
    #[allow(clippy::cast_possible_truncation)]
    Some((if neg { -v } else { v } as f32, q))
}

fn real(text: &[u8], p: usize) -> Option<(f32, usize)> {
    let end = text[p..]
        .iter()
        .position(|&b| b.is_ascii_whitespace())
        .map_or(text.len(), |o| p + o);
    let v: f64 = std::str::from_utf8(&text[p..end]).ok()?.parse().ok()?;
    #[allow(clippy::cast_possible_truncation)]
    Some((v as f32, end))
}

fn ends_inside_token(text: &[u8], p: usize) -> bool {
    p < text.len() && !text[p].is_ascii_whitespace()
}

/// Collects entries into CSR order.
struct Builder {
    n_genes: usize,
    n_cells: usize,
    nnz_declared: usize,
    genes: Vec<u32>,
    vals: Vec<f32>,
    counts: Vec<usize>,
    /// The cell of each entry, kept only once the file turned out not to be sorted by cell.
    cells: Option<Vec<u32>>,
    last: (u32, u32),
    rows_sorted: bool,
}

impl Builder {
    fn new(n_genes: usize, n_cells: usize, nnz: usize, size_hint: usize) -> Self {
        // Do not trust the size line with a huge allocation: a text entry takes 6 bytes at
        // least and gzip rarely gains more than 8x on these files.
        let reserve = nnz.min(size_hint.saturating_mul(8) / 6 + 16);
        Self {
            n_genes,
            n_cells,
            nnz_declared: nnz,
            genes: Vec::with_capacity(reserve),
            vals: Vec::with_capacity(reserve),
            counts: vec![0; n_cells],
            cells: None,
            last: (0, 0),
            rows_sorted: true,
        }
    }

    /// Records the next entry, at 1-based (gene, cell). Kept small enough to inline into the
    /// parse loop: the messages of the rare failures are formatted out of line.
    #[inline(always)]
    fn push(&mut self, gene: u64, cell: u64, value: f32) -> Result<(), String> {
        let (g, c) = (gene.wrapping_sub(1), cell.wrapping_sub(1));
        if g >= self.n_genes as u64
            || c >= self.n_cells as u64
            || self.genes.len() == self.nnz_declared
        {
            return Err(self.rejection(gene, cell));
        }
        // In range of u32: checked against the dimensions, which fit u32.
        #[allow(clippy::cast_possible_truncation)]
        let (gene, cell) = (g as u32, c as u32);
        if let Some(cells) = &mut self.cells {
            cells.push(cell);
        } else if cell < self.last.1 {
            self.unsorted(cell);
        } else if cell == self.last.1 && gene <= self.last.0 && !self.genes.is_empty() {
            self.rows_sorted = false;
        }
        self.last = (gene, cell);
        self.counts[cell as usize] += 1;
        self.genes.push(gene);
        self.vals.push(value);
        Ok(())
    }

    /// Why the entry at 1-based (gene, cell) cannot be recorded.
    #[cold]
    #[inline(never)]
    fn rejection(&self, gene: u64, cell: u64) -> String {
        if gene == 0 || gene > self.n_genes as u64 {
            format!("row index {gene} out of range 1..={}", self.n_genes)
        } else if cell == 0 || cell > self.n_cells as u64 {
            format!("column index {cell} out of range 1..={}", self.n_cells)
        } else {
            format!(
                "more entries than the {} the size line announces",
                self.nnz_declared
            )
        }
    }

    /// The file turned out not to be sorted by cell at an entry of (0-based) `cell`: rebuilds
    /// the cells of the entries so far (they were sorted) and keeps them from now on.
    #[cold]
    #[inline(never)]
    fn unsorted(&mut self, cell: u32) {
        let mut cells = Vec::with_capacity(self.genes.capacity());
        for (c, &k) in self.counts.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            cells.extend(std::iter::repeat_n(c as u32, k));
        }
        cells.push(cell);
        self.cells = Some(cells);
    }

    fn into_csr(self) -> Result<Csr, crate::sparse::TooLarge> {
        let mut indptr = Vec::with_capacity(self.n_cells + 1);
        indptr.push(0usize);
        let mut total = 0;
        for &k in &self.counts {
            total += k;
            indptr.push(total);
        }
        let (mut indices, mut data, mut sorted) = match self.cells {
            None => (self.genes, self.vals, self.rows_sorted),
            Some(cells) => {
                let mut next = indptr.clone();
                let mut indices = vec![0u32; total];
                let mut data = vec![0f32; total];
                for ((&c, &g), &v) in cells.iter().zip(&self.genes).zip(&self.vals) {
                    let dst = &mut next[c as usize];
                    indices[*dst] = g;
                    data[*dst] = v;
                    *dst += 1;
                }
                (indices, data, false)
            }
        };
        if !sorted {
            sorted = sort_rows(&mut indptr, &mut indices, &mut data);
        }
        debug_assert!(sorted);
        Ok(Csr {
            n_rows: self.n_cells,
            n_cols: self.n_genes,
            indptr,
            indices,
            data,
        })
    }
}

/// Sorts each row by column and sums duplicates (as scipy's `tocsr` does), compacting in place.
fn sort_rows(indptr: &mut [usize], indices: &mut Vec<u32>, data: &mut Vec<f32>) -> bool {
    let mut write = 0;
    let mut pairs: Vec<(u32, f32)> = Vec::new();
    for row in 0..indptr.len() - 1 {
        let (start, end) = (indptr[row], indptr[row + 1]);
        indptr[row] = write;
        if indices[start..end].windows(2).all(|w| w[0] < w[1]) {
            indices.copy_within(start..end, write);
            data.copy_within(start..end, write);
            write += end - start;
            continue;
        }
        pairs.clear();
        pairs.extend(
            indices[start..end]
                .iter()
                .copied()
                .zip(data[start..end].iter().copied()),
        );
        pairs.sort_by_key(|p| p.0);
        for &(g, v) in &pairs {
            if write > indptr[row] && indices[write - 1] == g {
                data[write - 1] += v;
            } else {
                indices[write] = g;
                data[write] = v;
                write += 1;
            }
        }
    }
    if let Some(last) = indptr.last_mut() {
        *last = write;
    }
    indices.truncate(write);
    data.truncate(write);
    true
}

#[cfg(test)]
mod tests;
