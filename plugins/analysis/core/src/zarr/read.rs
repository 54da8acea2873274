//! Decoding array metadata and chunks written by [`super::StoreWriter`] (uncompressed, C
//! order; 1-D arrays may have several chunks, 2-D arrays one).

use serde_json::Value;

use super::{Dtype, StoreSource, ZarrError, fetch, join};

/// An array's metadata (`.zarray`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayMeta {
    /// The shape.
    pub shape: Vec<usize>,
    /// The chunk shape.
    pub chunks: Vec<usize>,
    /// The element type.
    pub dtype: Dtype,
}

/// Decoded array data (flattened, C order).
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData {
    /// Booleans.
    Bool(Vec<bool>),
    /// 32-bit integers.
    I32(Vec<i32>),
    /// 64-bit integers.
    I64(Vec<i64>),
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
    /// Strings.
    Str(Vec<String>),
}

/// Parses a `.zarray` document.
///
/// # Errors
/// [`ZarrError::Invalid`] when it is not JSON, not Zarr v2, compressed, Fortran-ordered, or of an
/// unsupported dtype.
pub fn parse_array_meta(key: &str, bytes: &[u8]) -> Result<ArrayMeta, ZarrError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ZarrError::invalid(key, format!("not JSON: {e}")))?;
    let dims = |field: &str| -> Result<Vec<usize>, ZarrError> {
        v.get(field)
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .map(|x| x.as_u64().and_then(|x| usize::try_from(x).ok()))
                    .collect::<Option<Vec<usize>>>()
            })
            .ok_or_else(|| ZarrError::invalid(key, format!("missing or bad '{field}'")))
    };
    let shape = dims("shape")?;
    let chunks = dims("chunks")?;
    if v.get("zarr_format").and_then(Value::as_u64) != Some(2) {
        return Err(ZarrError::invalid(key, "not zarr_format 2"));
    }
    if !v.get("compressor").is_none_or(Value::is_null) {
        return Err(ZarrError::invalid(
            key,
            "compressed arrays are not supported",
        ));
    }
    if v.get("order").and_then(Value::as_str) != Some("C") {
        return Err(ZarrError::invalid(key, "only C order is supported"));
    }
    let name = v.get("dtype").and_then(Value::as_str).unwrap_or_default();
    let dtype = Dtype::from_zarr_name(name)
        .ok_or_else(|| ZarrError::invalid(key, format!("unsupported dtype '{name}'")))?;
    if shape.len() != chunks.len() || shape.is_empty() || shape.len() > 2 || chunks.contains(&0) {
        return Err(ZarrError::invalid(key, "unsupported shape or chunks"));
    }
    if shape.len() == 2 && chunks[..] != shape[..] && shape.iter().all(|&s| s > 0) {
        return Err(ZarrError::invalid(key, "2-D arrays must be a single chunk"));
    }
    Ok(ArrayMeta {
        shape,
        chunks,
        dtype,
    })
}

/// Reads and parses `path/.zarray`.
///
/// # Errors
/// [`ZarrError`] from the storage or the parser.
pub fn read_meta(src: &mut dyn StoreSource, path: &str) -> Result<ArrayMeta, ZarrError> {
    let key = join(path, ".zarray");
    parse_array_meta(&key, &fetch(src, &key)?)
}

/// Reads `path/.zattrs`.
///
/// # Errors
/// [`ZarrError`] from the storage, or for invalid JSON.
pub fn read_attrs(src: &mut dyn StoreSource, path: &str) -> Result<Value, ZarrError> {
    let key = join(path, ".zattrs");
    serde_json::from_slice(&fetch(src, &key)?)
        .map_err(|e| ZarrError::invalid(&key, format!("not JSON: {e}")))
}

/// Reads a whole array.
///
/// # Errors
/// [`ZarrError`] from the storage, or for a chunk whose size does not match the metadata.
pub fn read_array(
    src: &mut dyn StoreSource,
    path: &str,
) -> Result<(ArrayMeta, ArrayData), ZarrError> {
    let meta = read_meta(src, path)?;
    let total: usize = meta.shape.iter().product();
    let data = if meta.shape.len() == 2 {
        if total == 0 {
            decode(&join(path, "0.0"), meta.dtype, &[], 0)?
        } else {
            let key = join(path, "0.0");
            decode(&key, meta.dtype, &fetch(src, &key)?, total)?
        }
    } else {
        let chunk = meta.chunks[0];
        let mut parts = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while start < total {
            let count = chunk.min(total - start);
            let key = join(path, &i.to_string());
            let bytes = fetch(src, &key)?;
            // The last chunk is stored full size; decode only its valid part.
            parts.push(decode_prefix(&key, meta.dtype, &bytes, count, chunk)?);
            start += count;
            i += 1;
        }
        concat(meta.dtype, parts)
    };
    Ok((meta, data))
}

fn decode_prefix(
    key: &str,
    dtype: Dtype,
    bytes: &[u8],
    count: usize,
    chunk: usize,
) -> Result<ArrayData, ZarrError> {
    match dtype.itemsize() {
        Some(size) if bytes.len() == chunk * size => {
            decode(key, dtype, &bytes[..count * size], count)
        }
        _ => {
            let all = decode(
                key,
                dtype,
                bytes,
                if dtype == Dtype::Str {
                    usize::MAX
                } else {
                    count
                },
            )?;
            Ok(truncate(all, count))
        }
    }
}

fn truncate(data: ArrayData, n: usize) -> ArrayData {
    match data {
        ArrayData::Str(mut v) => {
            v.truncate(n);
            ArrayData::Str(v)
        }
        other => other,
    }
}

fn concat(dtype: Dtype, parts: Vec<ArrayData>) -> ArrayData {
    let mut out = match dtype {
        Dtype::Bool => ArrayData::Bool(Vec::new()),
        Dtype::I32 => ArrayData::I32(Vec::new()),
        Dtype::I64 => ArrayData::I64(Vec::new()),
        Dtype::F32 => ArrayData::F32(Vec::new()),
        Dtype::F64 => ArrayData::F64(Vec::new()),
        Dtype::Str => ArrayData::Str(Vec::new()),
    };
    for p in parts {
        match (&mut out, p) {
            (ArrayData::Bool(a), ArrayData::Bool(b)) => a.extend(b),
            (ArrayData::I32(a), ArrayData::I32(b)) => a.extend(b),
            (ArrayData::I64(a), ArrayData::I64(b)) => a.extend(b),
            (ArrayData::F32(a), ArrayData::F32(b)) => a.extend(b),
            (ArrayData::F64(a), ArrayData::F64(b)) => a.extend(b),
            (ArrayData::Str(a), ArrayData::Str(b)) => a.extend(b),
            _ => {}
        }
    }
    out
}

/// Decodes `count` elements of `dtype` from `bytes` (`usize::MAX` for strings: as many as the
/// chunk holds).
///
/// # Errors
/// [`ZarrError::Invalid`] when the byte length does not match or a string is not UTF-8.
pub fn decode(key: &str, dtype: Dtype, bytes: &[u8], count: usize) -> Result<ArrayData, ZarrError> {
    if let Some(size) = dtype.itemsize()
        && bytes.len() != count.saturating_mul(size)
    {
        return Err(ZarrError::invalid(
            key,
            format!("{} bytes for {count} elements of {size} bytes", bytes.len()),
        ));
    }
    fn le<T, const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
        bytes
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                f(a)
            })
            .collect()
    }
    Ok(match dtype {
        Dtype::Bool => ArrayData::Bool(bytes.iter().map(|&b| b != 0).collect()),
        Dtype::I32 => ArrayData::I32(le(bytes, i32::from_le_bytes)),
        Dtype::I64 => ArrayData::I64(le(bytes, i64::from_le_bytes)),
        Dtype::F32 => ArrayData::F32(le(bytes, f32::from_le_bytes)),
        Dtype::F64 => ArrayData::F64(le(bytes, f64::from_le_bytes)),
        Dtype::Str => ArrayData::Str(decode_strings(key, bytes, count)?),
    })
}

fn decode_strings(key: &str, bytes: &[u8], count: usize) -> Result<Vec<String>, ZarrError> {
    let bad = || ZarrError::invalid(key, "truncated vlen-utf8 chunk");
    let u32_at = |p: usize| -> Result<usize, ZarrError> {
        let b = bytes.get(p..p + 4).ok_or_else(bad)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let n = u32_at(0)?;
    if count != usize::MAX && n < count {
        return Err(ZarrError::invalid(
            key,
            format!("{n} strings for {count} elements"),
        ));
    }
    let mut out = Vec::with_capacity(n.min(bytes.len() / 4));
    let mut p = 4;
    for _ in 0..n {
        let len = u32_at(p)?;
        let s = bytes.get(p + 4..p + 4 + len).ok_or_else(bad)?;
        out.push(
            String::from_utf8(s.to_vec())
                .map_err(|_| ZarrError::invalid(key, "a string is not UTF-8"))?,
        );
        p += 4 + len;
    }
    Ok(out)
}
