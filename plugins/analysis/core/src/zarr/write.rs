//! Encoding groups and arrays into `(key, bytes)` pairs.

use serde_json::{Value, json};

use super::{Dtype, join};

/// Borrowed 1-D data to write.
#[derive(Debug, Clone, Copy)]
pub enum ArrayRef<'a> {
    /// Booleans.
    Bool(&'a [bool]),
    /// 32-bit integers.
    I32(&'a [i32]),
    /// 64-bit integers.
    I64(&'a [i64]),
    /// 32-bit floats.
    F32(&'a [f32]),
    /// 64-bit floats.
    F64(&'a [f64]),
    /// Strings.
    Str(&'a [String]),
}

/// The values of `v` as little-endian bytes (`f` is the type's `to_le_bytes`): fixed-size
/// chunks of a buffer of the final size, a plain copy loop on a little-endian target, where
/// pushing each byte would check the capacity every time.
pub fn le_bytes<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = vec![0u8; v.len() * N];
    for (dst, &x) in out.chunks_exact_mut(N).zip(v) {
        dst.copy_from_slice(&f(x));
    }
    out
}

impl ArrayRef<'_> {
    fn len(&self) -> usize {
        match self {
            ArrayRef::Bool(v) => v.len(),
            ArrayRef::I32(v) => v.len(),
            ArrayRef::I64(v) => v.len(),
            ArrayRef::F32(v) => v.len(),
            ArrayRef::F64(v) => v.len(),
            ArrayRef::Str(v) => v.len(),
        }
    }

    fn dtype(&self) -> Dtype {
        match self {
            ArrayRef::Bool(_) => Dtype::Bool,
            ArrayRef::I32(_) => Dtype::I32,
            ArrayRef::I64(_) => Dtype::I64,
            ArrayRef::F32(_) => Dtype::F32,
            ArrayRef::F64(_) => Dtype::F64,
            ArrayRef::Str(_) => Dtype::Str,
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            ArrayRef::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
            ArrayRef::I32(v) => le_bytes(v, i32::to_le_bytes),
            ArrayRef::I64(v) => le_bytes(v, i64::to_le_bytes),
            ArrayRef::F32(v) => le_bytes(v, f32::to_le_bytes),
            ArrayRef::F64(v) => le_bytes(v, f64::to_le_bytes),
            ArrayRef::Str(v) => {
                // numcodecs VLenUTF8: u32 count, then per item u32 length and the bytes.
                let total: usize = v.iter().map(|s| s.len() + 4).sum();
                let mut out = Vec::with_capacity(total + 4);
                out.extend_from_slice(&len_u32(v.len()).to_le_bytes());
                for s in *v {
                    out.extend_from_slice(&len_u32(s.len()).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
                out
            }
        }
    }
}

fn len_u32(n: usize) -> u32 {
    // Strings and arrays of a Wasm plugin stay far below 4 GiB; saturate rather than wrap.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Collects the keys of a Zarr v2 store.
#[derive(Debug, Default)]
pub struct StoreWriter {
    entries: Vec<(String, Vec<u8>)>,
}

impl StoreWriter {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn json(&mut self, key: String, value: &Value) {
        // Serialising a `Value` cannot fail.
        let bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
        self.entries.push((key, bytes));
    }

    /// A group at `path` (`""` for the root) with attributes (`None` writes no `.zattrs`).
    pub fn group(&mut self, path: &str, attrs: Option<Value>) {
        self.json(join(path, ".zgroup"), &json!({"zarr_format": 2}));
        if let Some(attrs) = attrs {
            self.json(join(path, ".zattrs"), &attrs);
        }
    }

    /// A 1-D array in one uncompressed chunk.
    pub fn array(&mut self, path: &str, data: ArrayRef<'_>, attrs: Option<Value>) {
        let n = data.len();
        self.array_meta(path, data.dtype(), &[n], attrs);
        if n > 0 {
            self.entries.push((join(path, "0"), data.encode()));
        }
    }

    /// A 1-D array of `len` values of `dtype` in one uncompressed chunk, already encoded
    /// (little-endian, as [`StoreWriter::array`] would write them): for data produced straight
    /// into bytes.
    pub fn array_encoded(
        &mut self,
        path: &str,
        dtype: Dtype,
        len: usize,
        bytes: Vec<u8>,
        attrs: Option<Value>,
    ) {
        debug_assert_eq!(dtype.itemsize().map(|s| s * len), Some(bytes.len()));
        self.array_meta(path, dtype, &[len], attrs);
        if len > 0 {
            self.entries.push((join(path, "0"), bytes));
        }
    }

    /// A 2-D `rows x cols` row-major `f32` array in one uncompressed chunk.
    pub fn array_2d_f32(
        &mut self,
        path: &str,
        rows: usize,
        cols: usize,
        data: &[f32],
        attrs: Option<Value>,
    ) {
        self.array_meta(path, Dtype::F32, &[rows, cols], attrs);
        if rows * cols > 0 {
            self.entries
                .push((join(path, "0.0"), ArrayRef::F32(data).encode()));
        }
    }

    fn array_meta(&mut self, path: &str, dtype: Dtype, shape: &[usize], attrs: Option<Value>) {
        let chunks: Vec<usize> = shape.iter().map(|&s| s.max(1)).collect();
        let (fill, filters) = match dtype {
            Dtype::Bool => (json!(false), Value::Null),
            Dtype::I32 | Dtype::I64 => (json!(0), Value::Null),
            Dtype::F32 | Dtype::F64 => (json!(0.0), Value::Null),
            Dtype::Str => (Value::Null, json!([{"id": "vlen-utf8"}])),
        };
        let meta = json!({
            "chunks": chunks,
            "compressor": null,
            "dimension_separator": ".",
            "dtype": dtype.zarr_name(),
            "fill_value": fill,
            "filters": filters,
            "order": "C",
            "shape": shape,
            "zarr_format": 2,
        });
        self.json(join(path, ".zarray"), &meta);
        if let Some(attrs) = attrs {
            self.json(join(path, ".zattrs"), &attrs);
        }
    }

    /// The keys and values written, in writing order.
    pub fn finish(self) -> Vec<(String, Vec<u8>)> {
        self.entries
    }
}
