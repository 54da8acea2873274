//! [`FsStore`]: the prepared experiment's Zarr store read straight from the host's local
//! storage folder, so that tests compare the plugins' answers with the core's own readers.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use taskhost_analysis::zarr::{SourceError, StoreSource};

/// A Zarr store in a folder (keys are relative paths).
#[derive(Debug, Clone)]
pub struct FsStore(pub PathBuf);

impl StoreSource for FsStore {
    fn get(&mut self, key: &str) -> Result<Vec<u8>, SourceError> {
        Ok(std::fs::read(self.0.join(key))?)
    }

    fn get_range(&mut self, key: &str, start: u64, end: u64) -> Result<Vec<u8>, SourceError> {
        let mut file = std::fs::File::open(self.0.join(key))?;
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        file.take(end.saturating_sub(start))
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}
