//! `file://<dir>`: one file per task, `<dir>/<uuid>.json`.

use std::path::PathBuf;

use async_trait::async_trait;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{PublishError, Publisher};
use crate::envelope::Envelope;
use crate::trace::TraceContext;

/// Writes each result message to `<dir>/<uuid>.json` (through a temporary file and a rename,
/// so a reader never sees half a message; a retry overwrites the earlier attempt's file).
#[derive(Debug, Clone)]
pub struct FilePublisher {
    dir: PathBuf,
}

impl FilePublisher {
    /// Creates the folder if needed.
    pub fn create(dir: PathBuf) -> Result<Self, PublishError> {
        std::fs::create_dir_all(&dir).map_err(|e| PublishError {
            target: format!("file://{}", dir.display()),
            message: e.to_string(),
        })?;
        Ok(Self { dir })
    }
}

#[async_trait]
impl Publisher for FilePublisher {
    async fn publish(
        &self,
        envelope: &Envelope,
        message: &str,
        _trace: &TraceContext,
    ) -> Result<(), PublishError> {
        // The uuid is the producer's text: encode it into one safe path segment.
        let name = file_name(&envelope.uuid);
        let path = self.dir.join(format!("{name}.json"));
        let partial = self.dir.join(format!(".{name}.json.partial"));
        let fail = |e: std::io::Error| PublishError {
            target: format!("file://{}", self.dir.display()),
            message: e.to_string(),
        };
        tokio::fs::write(&partial, message).await.map_err(fail)?;
        tokio::fs::rename(&partial, &path).await.map_err(fail)
    }
}

/// Everything but letters, digits, `-` and `_` is percent-encoded (so no `/`, no `..`).
const FILE_NAME: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

fn file_name(uuid: &str) -> String {
    utf8_percent_encode(uuid, FILE_NAME).to_string()
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn uuids_become_one_safe_path_segment() {
        assert_eq!(file_name("3f2a-11_b"), "3f2a-11_b");
        assert_eq!(file_name("../etc/passwd"), "%2E%2E%2Fetc%2Fpasswd");
    }
}
