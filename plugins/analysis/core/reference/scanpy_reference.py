"""Write scanpy 1.11's results on a 10x folder as .npy files, for taskhost-analysis' tests.

Usage: python scanpy_reference.py <10x-folder> <output-dir>

Runs read_10x_mtx(var_names="gene_ids"), normalize_total(target_sum=1e4), log1p,
highly_variable_genes(flavor="seurat", n_top_genes=2000) and pca(n_comps=50,
svd_solver="arpack"), then writes:

  means.npy, dispersions.npy, dispersions_norm.npy, highly_variable.npy   (per gene)
  X_csr_data.npy, X_csr_indices.npy, X_csr_indptr.npy                     (log-normalised X, CSR)
  X_pca.npy, pca_variance.npy, pca_variance_ratio.npy
  versions.json
"""

import json
import sys
from pathlib import Path

from importlib.metadata import version
import numpy as np
import scanpy as sc
import scipy.sparse as sp


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    adata = sc.read_10x_mtx(source, var_names="gene_ids")
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=2000)
    sc.pp.pca(adata, n_comps=50, svd_solver="arpack")

    var = adata.var
    np.save(out / "means.npy", var["means"].to_numpy())
    np.save(out / "dispersions.npy", var["dispersions"].to_numpy())
    np.save(out / "dispersions_norm.npy", var["dispersions_norm"].to_numpy())
    np.save(out / "highly_variable.npy", var["highly_variable"].to_numpy().astype(bool))
    x = sp.csr_matrix(adata.X)
    x.sort_indices()
    np.save(out / "X_csr_data.npy", x.data)
    np.save(out / "X_csr_indices.npy", x.indices.astype(np.int64))
    np.save(out / "X_csr_indptr.npy", x.indptr.astype(np.int64))
    np.save(out / "X_pca.npy", np.ascontiguousarray(adata.obsm["X_pca"]))
    np.save(out / "pca_variance.npy", np.asarray(adata.uns["pca"]["variance"]))
    np.save(out / "pca_variance_ratio.npy", np.asarray(adata.uns["pca"]["variance_ratio"]))
    versions = {name: version(name) for name in ("scanpy", "anndata", "numpy", "scipy", "scikit-learn")}
    (out / "versions.json").write_text(json.dumps(versions, indent=2))
    print(f"wrote the reference of {source} ({adata.n_obs} cells x {adata.n_vars} genes) to {out}")


if __name__ == "__main__":
    main()
