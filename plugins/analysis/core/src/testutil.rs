//! Small deterministic experiments for unit tests.

use crate::prepare::{PrepareOptions, PreparedExperiment, prepare_matrix};
use crate::sparse::Csr;
use crate::tenx::TenxMatrix;

/// A random counts matrix (`cells x genes`, about a third non-zero), with gene 0 empty.
pub(crate) fn counts(cells: usize, genes: usize, seed: u32) -> Csr {
    let mut state = seed;
    let mut rnd = move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        state >> 8
    };
    let mut m = Csr {
        n_rows: cells,
        n_cols: genes,
        indptr: vec![0],
        indices: vec![],
        data: vec![],
    };
    for _ in 0..cells {
        for g in 1..genes {
            if rnd() % 3 == 0 {
                m.indices.push(g as u32);
                m.data.push((1 + rnd() % (g as u32 % 9 + 1)) as f32);
            }
        }
        m.indptr.push(m.indices.len());
    }
    m
}

/// A prepared random experiment.
pub(crate) fn experiment(cells: usize, genes: usize) -> PreparedExperiment {
    let tenx = TenxMatrix {
        counts: counts(cells, genes, 42),
        gene_ids: (0..genes).map(|g| format!("ENSG{g:05}")).collect(),
        gene_names: (0..genes)
            .map(|g| format!("GENE{}", g % (genes - 2)))
            .collect(),
        barcodes: (0..cells).map(|c| format!("CELL{c}-1")).collect(),
    };
    let options = PrepareOptions {
        n_top_genes: genes / 2,
        n_comps: 3,
        ..PrepareOptions::default()
    };
    prepare_matrix(tenx, &options).expect("the test experiment prepares")
}
