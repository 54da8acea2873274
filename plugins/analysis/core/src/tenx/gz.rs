//! Transparent gzip: a reader over the raw bytes or over their decompression.

use std::io::Read;

use flate2::read::MultiGzDecoder;

/// A reader of `bytes`, decompressing them when they start with the gzip magic number.
pub(crate) fn reader(bytes: &[u8]) -> Box<dyn Read + '_> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    }
}

/// The whole (decompressed) content of `bytes`.
pub(crate) fn read_all(file: &str, bytes: &[u8]) -> Result<Vec<u8>, super::ReadError> {
    let mut out = Vec::with_capacity(bytes.len());
    reader(bytes)
        .read_to_end(&mut out)
        .map_err(|source| super::ReadError::Gzip {
            file: file.to_owned(),
            source,
        })?;
    Ok(out)
}
