//! Bucket grants: `--grant <plugin>=<read|write>:<bucket>` (repeatable), `TASKHOST_GRANTS`
//! (comma-separated), or `grants = [...]` in the settings file.

use std::fmt;
use std::str::FromStr;

use crate::storage::check_bucket_name;

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// get, get-range, head, list, presign-get.
    Read,
    /// Everything: also put, delete, presign-put.
    Write,
}

/// One bucket granted to one plugin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant {
    /// The plugin's name (from its `describe`).
    pub plugin: String,
    /// Read-only or read-write.
    pub access: Access,
    /// The bucket.
    pub bucket: String,
}

impl FromStr for Grant {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("grant {text:?}: expected <plugin>=<read|write>:<bucket>");
        let (plugin, rest) = text.split_once('=').ok_or_else(usage)?;
        let (access, bucket) = rest.split_once(':').ok_or_else(usage)?;
        let access = match access {
            "read" => Access::Read,
            "write" => Access::Write,
            _ => return Err(usage()),
        };
        if plugin.is_empty() {
            return Err(usage());
        }
        check_bucket_name(bucket).map_err(|e| format!("grant {text:?}: {e}"))?;
        Ok(Self {
            plugin: plugin.to_owned(),
            access,
            bucket: bucket.to_owned(),
        })
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let access = match self.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        write!(f, "{}={access}:{}", self.plugin, self.bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse_and_print_back() {
        let g: Grant = "prepare-experiment=read:biomage-source-originals"
            .parse()
            .unwrap();
        assert_eq!(g.access, Access::Read);
        assert_eq!(
            g.to_string(),
            "prepare-experiment=read:biomage-source-originals"
        );
        for bad in ["x", "p=read", "p=admin:b", "=read:b", "p=write:Bad_Bucket"] {
            assert!(bad.parse::<Grant>().is_err(), "{bad}");
        }
    }
}
