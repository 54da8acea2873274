"""Check that anndata opens a store written by taskhost-analysis and finds what it should.

Usage: python check_zarr.py <store-dir> [<n_comps>]

Exits non-zero with an AssertionError naming the first field that is missing or wrong.
"""

import sys

import anndata
import numpy as np
import scipy.sparse as sp


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    n_comps = int(sys.argv[2]) if len(sys.argv) == 3 else 50
    a = anndata.read_zarr(sys.argv[1])
    n_obs, n_vars = a.shape
    assert n_obs > 0 and n_vars > 0, a.shape

    assert sp.issparse(a.X) and a.X.format == "csc", type(a.X)
    assert a.X.dtype == np.float32, a.X.dtype
    counts = a.layers["counts"]
    assert sp.issparse(counts) and counts.format == "csr", type(counts)
    assert counts.shape == (n_obs, n_vars) and counts.dtype == np.float32
    assert counts.nnz == a.X.nnz
    # Counts are whole numbers; X is their log-normalisation (non-negative, same pattern).
    assert np.all(counts.data == np.round(counts.data))
    assert np.all(a.X.data >= 0)
    by_gene = counts.tocsc()
    by_gene.sort_indices()
    assert np.array_equal(by_gene.indptr, a.X.indptr)
    assert np.array_equal(by_gene.indices, a.X.indices)
    # X is log1p(counts scaled to 1e4 per cell).
    totals = np.asarray(counts.sum(axis=1)).ravel()
    scale = np.divide(1e4, totals, out=np.zeros_like(totals), where=totals > 0)
    expected = sp.diags(scale) @ counts.astype(np.float64)
    expected = expected.tocsc()
    expected.sort_indices()
    assert np.allclose(a.X.data, np.log1p(expected.data), rtol=1e-5, atol=1e-6)

    assert list(a.var.columns) == [
        "gene_ids", "gene_names", "means", "dispersions", "dispersions_norm", "highly_variable",
    ], list(a.var.columns)
    assert list(a.var_names) == list(a.var["gene_ids"])
    for col, dtype in [
        ("means", np.float64), ("dispersions", np.float64),
        ("dispersions_norm", np.float32), ("highly_variable", np.bool_),
    ]:
        assert a.var[col].dtype == dtype, (col, a.var[col].dtype)
    assert a.var["gene_names"].map(type).eq(str).all()

    assert list(a.obs.columns) == ["cell_ids", "barcodes"], list(a.obs.columns)
    assert np.issubdtype(a.obs["cell_ids"].dtype, np.integer)
    assert np.array_equal(a.obs["cell_ids"].to_numpy(), np.arange(n_obs))
    assert list(a.obs_names) == list(a.obs["barcodes"])

    x_pca = a.obsm["X_pca"]
    assert x_pca.shape == (n_obs, n_comps) and x_pca.dtype == np.float32, (x_pca.shape, x_pca.dtype)
    for key in ("variance", "variance_ratio"):
        v = np.asarray(a.uns["pca"][key])
        assert v.shape == (n_comps,), (key, v.shape)
        assert np.all(np.diff(v) <= 0), f"uns/pca/{key} is not descending"
    assert float(np.sum(a.uns["pca"]["variance_ratio"])) <= 1.0 + 1e-9
    print(f"ok: {n_obs} cells x {n_vars} genes, {int(a.var['highly_variable'].sum())} HVGs")


if __name__ == "__main__":
    main()
