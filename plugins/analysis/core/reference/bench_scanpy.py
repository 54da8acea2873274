"""Time scanpy's read + normalize + HVG + PCA (arpack) on a 10x folder.

Usage: python bench_scanpy.py <10x-folder> [--repeat N]

Prints the median wall time over N runs (default 5) and the peak RSS of this process
(`ru_maxrss`); run one folder per process for a meaningful peak.
"""

import argparse
import resource
import statistics
import time

import scanpy as sc


def once(folder: str) -> float:
    t = time.perf_counter()
    adata = sc.read_10x_mtx(folder, var_names="gene_ids")
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=2000)
    sc.pp.pca(adata, n_comps=50, svd_solver="arpack")
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    once(args.folder)  # warm-up: imports, numba compilation
    times = [once(args.folder) for _ in range(args.repeat)]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.folder}: median {statistics.median(times):.3f} s over {args.repeat} runs "
        f"(min {min(times):.3f}, max {max(times):.3f}); peak RSS {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()
