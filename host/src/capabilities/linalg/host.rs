//! The generated `linalg::Host` traits, implemented on [`LinalgCtx`].

use wasmtime::component::Resource;

use crate::capabilities::linalg::job::{Finished, PcaInput};
use crate::capabilities::linalg::{LinalgCtx, MAX_JOBS, PcaJob};
use crate::runtime::DeadlineExceeded;
use crate::runtime::bindings::taskhost::plugin::linalg::{
    Host, HostPcaJob, LinalgError, PrincipalComponents,
};
use taskhost_linalg::PcaError;

impl Host for LinalgCtx {
    async fn start_pca(
        &mut self,
        rows: u32,
        columns: u32,
        indptr: Vec<u64>,
        indices: Vec<u32>,
        values: Vec<f32>,
        use_columns: Option<Vec<u32>>,
        components: u32,
    ) -> Result<Resource<PcaJob>, LinalgError> {
        if self.jobs.len() >= MAX_JOBS {
            return Err(LinalgError::InvalidInput(format!(
                "a task may run at most {MAX_JOBS} computations at once; wait for one first"
            )));
        }
        let (n, p_all, nnz) = (rows as usize, columns as usize, values.len());
        let p = use_columns.as_ref().map_or(p_all, Vec::len);
        let k = components as usize;
        let shape = shape_error(n, &indptr, indices.len(), nnz, p, k);
        if let Some(message) = shape {
            return Err(LinalgError::InvalidInput(message));
        }
        let bytes = (indptr.len() * 8 + nnz * 8 + p * 4) as u64
            + taskhost_linalg::working_memory(n, p_all, nnz, p, k);
        let reservation = self.budget.reserve(bytes).ok_or_else(|| {
            LinalgError::TooLarge(format!(
                "this PCA needs up to {bytes} bytes of host memory, beyond what is left of the \
                 task's memory limit of {} bytes",
                self.budget.limit
            ))
        })?;
        let input = PcaInput {
            rows: n,
            columns: p_all,
            indptr,
            indices,
            values,
            use_columns: use_columns.unwrap_or_else(|| (0..columns).collect()),
            components: k,
        };
        let job = PcaJob::start(input, self.deadline, reservation);
        let rep = self.next;
        self.next = self.next.wrapping_add(1);
        self.jobs.insert(rep, job);
        Ok(Resource::new_own(rep))
    }
}

/// What is wrong with the sizes of `start-pca`'s arguments, if anything (the contents are
/// checked by the job, in linear time, off the plugin's thread).
fn shape_error(
    n: usize,
    indptr: &[u64],
    n_indices: usize,
    nnz: usize,
    p: usize,
    k: usize,
) -> Option<String> {
    if indptr.len() != n + 1 {
        return Some(format!(
            "indptr has {} offsets for {n} rows (expected rows + 1)",
            indptr.len()
        ));
    }
    if n_indices != nnz {
        return Some(format!("{n_indices} column indices but {nnz} values"));
    }
    if k == 0 || k >= n.min(p) {
        return Some(format!(
            "{k} components must be between 1 and min(rows={n}, columns used={p}) - 1"
        ));
    }
    None
}

impl HostPcaJob for LinalgCtx {
    async fn wait(
        &mut self,
        job: Resource<PcaJob>,
    ) -> wasmtime::Result<Result<PrincipalComponents, LinalgError>> {
        let Some(running) = self.jobs.get_mut(&job.rep()) else {
            return Err(wasmtime::Error::msg("linalg: unknown pca-job handle"));
        };
        let result = match running.wait().await {
            Finished::Done(result) => result,
            Finished::AlreadyTaken => {
                return Ok(Err(LinalgError::InvalidInput(
                    "wait was already called on this pca-job".into(),
                )));
            }
            Finished::Panicked(message) => {
                tracing::error!(%message, "a linalg kernel panicked");
                return Err(wasmtime::Error::msg(
                    "linalg: the PCA kernel failed (host bug)",
                ));
            }
        };
        Ok(match result {
            Ok(pca) => Ok(PrincipalComponents {
                variance: pca.variance,
                total_variance: pca.total_variance,
                components: pca.components,
                coordinates: pca.coordinates,
                steps: u32::try_from(pca.steps).unwrap_or(u32::MAX),
            }),
            Err(PcaError::Interrupted) => return Err(wasmtime::Error::new(DeadlineExceeded)),
            Err(PcaError::InvalidInput(m)) => Err(LinalgError::InvalidInput(m)),
            Err(PcaError::NotFinite) => Err(LinalgError::NotFinite),
            Err(PcaError::NoConvergence) => Err(LinalgError::NoConvergence),
        })
    }

    async fn drop(&mut self, job: Resource<PcaJob>) -> wasmtime::Result<()> {
        self.jobs.remove(&job.rep());
        Ok(())
    }
}
