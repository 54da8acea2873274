//! Benchmarks of the analysis plugins inside the taskhost host, beside scanpy. The code is the
//! bench target `analysis` (`benches/analysis/`); this library is empty. See
//! `plugins/analysis/README.md` for the commands and the figures.
