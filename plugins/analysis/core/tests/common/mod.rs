//! Helpers shared by the integration tests: the pbmc3k test data and a `.npy` reader.

#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};

use taskhost_analysis::tenx::InputFile;
use taskhost_analysis::{PrepareOptions, PreparedExperiment, prepare};

/// The pbmc3k folder shipped with the crate.
pub fn pbmc3k_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pbmc3k")
}

/// Reads and prepares pbmc3k with the default options (those of `scanpy_reference.py`).
pub fn prepare_pbmc3k() -> PreparedExperiment {
    let dir = pbmc3k_dir();
    let read = |name: &str| std::fs::read(dir.join(name)).expect("testdata/pbmc3k is readable");
    let (m, f, b) = (
        read("matrix.mtx.gz"),
        read("features.tsv.gz"),
        read("barcodes.tsv.gz"),
    );
    prepare(
        InputFile {
            name: "matrix.mtx.gz",
            bytes: &m,
        },
        InputFile {
            name: "features.tsv.gz",
            bytes: &f,
        },
        InputFile {
            name: "barcodes.tsv.gz",
            bytes: &b,
        },
        &PrepareOptions::default(),
    )
    .expect("pbmc3k prepares")
}

/// The directory named by `var`, or a panic explaining how to produce it.
pub fn required_env(var: &str, how: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => panic!(
            "{var} is not set. These tests compare with scanpy and must not be skipped. {how}"
        ),
    }
}

/// A `.npy` array: its dtype descriptor, shape and raw little-endian bytes.
pub struct Npy {
    pub descr: String,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

pub fn read_npy(path: &Path) -> Npy {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..6],
        b"\x93NUMPY",
        "{}: not a .npy file",
        path.display()
    );
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).unwrap();
    let field = |name: &str| {
        let at = header.find(&format!("'{name}':")).unwrap() + name.len() + 3;
        header[at..].trim_start().to_owned()
    };
    let descr = field("descr");
    let descr = descr.split('\'').nth(1).unwrap().to_owned();
    assert!(
        field("fortran_order").starts_with("False"),
        "{}: Fortran order",
        path.display()
    );
    let shape_text = field("shape");
    let shape = shape_text[1..shape_text.find(')').unwrap()]
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    Npy {
        descr,
        shape,
        data: bytes[start + header_len..].to_vec(),
    }
}

impl Npy {
    pub fn f64s(&self) -> Vec<f64> {
        match self.descr.as_str() {
            "<f8" => self
                .data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect(),
            "<f4" => self
                .data
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
            "<i8" => self
                .data
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64)
                .collect(),
            other => panic!("unsupported dtype {other}"),
        }
    }

    pub fn bools(&self) -> Vec<bool> {
        assert_eq!(self.descr, "|b1");
        self.data.iter().map(|&b| b != 0).collect()
    }
}
