//! The on-disk compile cache: a component is compiled once per content digest and engine, then
//! loaded from disk on later loads. Also remembers what each component's `describe` returned, so
//! a warm start instantiates only the plugins it actually runs.
//!
//! Files: `<sha256>-<engine hash>.cwasm` (the compiled artifact; the engine hash changes with
//! the wasmtime version and every setting that affects code generation) and
//! `<sha256>.describe.json`. Files are written to a temporary name and renamed, so a crash or a
//! concurrent host never leaves a half-written artifact under the final name.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Whether a load hit the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// The compiled artifact was on disk.
    Hit,
    /// The component was compiled (and stored, when there is a cache folder).
    Compiled,
}

/// The compile cache; `None` as folder disables it.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: Option<PathBuf>,
    engine_hash: String,
}

impl CompileCache {
    pub(crate) fn new(dir: Option<PathBuf>, engine: &Engine) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            dir,
            engine_hash: format!("{:016x}", hasher.finish()),
        }
    }

    /// The sha256 of `bytes`, in hex: a component's identity.
    pub(crate) fn digest(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Loads the component with content `bytes` and digest `digest`, from the cache when
    /// possible.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        digest: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let Some(dir) = &self.dir else {
            return Ok((Component::new(engine, bytes)?, CacheOutcome::Compiled));
        };
        let artifact = dir.join(format!("{digest}-{}.cwasm", self.engine_hash));
        // Read, not memory-mapped: a mapped file that someone truncates or rewrites in place
        // (an operator clearing the cache under a running host) would kill the process with
        // SIGBUS. The copy costs well under a millisecond for a plugin.
        if let Ok(artifact_bytes) = std::fs::read(&artifact) {
            // SAFETY: the file is one this cache wrote with `precompile_component` of an engine
            // with the same compatibility hash (it is in the file name), renamed into place only
            // once complete. wasmtime also checks the artifact's header and engine settings and
            // refuses a mismatch, which falls through to a recompile below. Whoever can write
            // the cache folder can already change the host's code.
            #[allow(unsafe_code)]
            let loaded = unsafe { Component::deserialize(engine, &artifact_bytes) };
            match loaded {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(error) => tracing::warn!(
                    artifact = %artifact.display(),
                    %error,
                    "compile cache entry unusable; recompiling"
                ),
            }
        }
        let compiled = engine.precompile_component(bytes)?;
        if let Err(error) = write_atomically(dir, &artifact, &compiled) {
            tracing::warn!(dir = %dir.display(), %error, "could not write the compile cache");
        }
        // SAFETY: `compiled` was produced just now by `precompile_component` of this engine.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok((component, CacheOutcome::Compiled))
    }

    /// The cached `describe` result of component `digest`, if any.
    pub(crate) fn describe(&self, digest: &str) -> Option<String> {
        let dir = self.dir.as_ref()?;
        std::fs::read_to_string(dir.join(format!("{digest}.describe.json"))).ok()
    }

    /// Remembers component `digest`'s `describe` result.
    pub(crate) fn store_describe(&self, digest: &str, json: &str) {
        if let Some(dir) = &self.dir {
            let path = dir.join(format!("{digest}.describe.json"));
            if let Err(error) = write_atomically(dir, &path, json.as_bytes()) {
                tracing::warn!(dir = %dir.display(), %error, "could not write the describe cache");
            }
        }
    }
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile_in(dir)?;
    temp.1.write_all(bytes)?;
    temp.1.sync_all()?;
    std::fs::rename(&temp.0, path)
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(std::io::Error::other)?;
    let path = dir.join(format!(".tmp-{}", hex::encode(suffix)));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}
