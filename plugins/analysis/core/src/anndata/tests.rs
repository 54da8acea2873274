//! The encoded store read back through this crate's readers.

use super::*;
use crate::testutil::experiment;
use crate::zarr::{ArrayData, MemoryStore, StoreSource, read_array, read_attrs};

#[test]
fn round_trip_through_the_readers() {
    let exp = experiment(30, 12);
    let mut store: MemoryStore = encode(&exp).unwrap().into_iter().collect();
    let src: &mut dyn StoreSource = &mut store;

    let var = read_var(src).unwrap();
    assert_eq!(var.gene_ids, exp.gene_ids);
    assert_eq!(var.gene_names, exp.gene_names);
    assert_eq!(var.highly_variable, exp.hvg.highly_variable);
    assert_eq!(var.means, exp.hvg.means);
    // NaN != NaN: compare bit patterns.
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&var.dispersions), bits(&exp.hvg.dispersions));

    let obs = read_obs(src).unwrap();
    assert_eq!(obs.barcodes, exp.barcodes);
    assert_eq!(obs.cell_ids, (0..30).collect::<Vec<i64>>());

    let pca = read_pca(src).unwrap();
    assert_eq!((pca.n_cells, pca.n_comps), (30, 3));
    assert_eq!(pca.coordinates, exp.pca.coordinates);

    // Every column of X equals the CSR matrix's.
    let x = XColumns::open(src).unwrap();
    for g in 0..12 {
        let col = x.column(src, g).unwrap();
        let mut expected = SparseColumn::default();
        for cell in 0..30 {
            let (idx, _) = exp.counts.row(cell);
            if let Some(p) = idx.iter().position(|&c| c as usize == g) {
                expected.cells.push(cell as u32);
                expected
                    .values
                    .push(exp.log_norm[exp.counts.indptr[cell] + p]);
            }
        }
        assert_eq!(col, expected, "gene {g}");
    }
    assert!(x.column(src, 12).is_err());
    assert_eq!(
        read_attrs(src, "X").unwrap()["encoding-type"],
        serde_json::json!("csc_matrix")
    );
    let counts = read_attrs(src, "layers/counts").unwrap();
    assert_eq!(counts["shape"], serde_json::json!([30, 12]));
    assert_eq!(counts["encoding-type"], serde_json::json!("csr_matrix"));
    let read = |src: &mut dyn StoreSource, path: &str| read_array(src, path).unwrap().1;
    let ArrayData::F32(data) = read(src, "layers/counts/data") else {
        panic!("counts data is f32")
    };
    assert_eq!(data, exp.counts.data);
    let ArrayData::I32(indices) = read(src, "layers/counts/indices") else {
        panic!("counts indices are i32")
    };
    let expected: Vec<i32> = exp.counts.indices.iter().map(|&c| c as i32).collect();
    assert_eq!(indices, expected);
    let ArrayData::I64(indptr) = read(src, "layers/counts/indptr") else {
        panic!("counts indptr is i64")
    };
    let expected: Vec<i64> = exp.counts.indptr.iter().map(|&p| p as i64).collect();
    assert_eq!(indptr, expected);
}

#[test]
fn corrupted_store_is_an_error_not_a_panic() {
    let exp = experiment(10, 8);
    let mut store: MemoryStore = encode(&exp).unwrap().into_iter().collect();
    store.0.insert("X/indptr/0".into(), vec![1, 2, 3]);
    assert!(XColumns::open(&mut store).is_err());
    store.0.remove("var/means/0");
    assert!(read_var(&mut store).is_err());
}
