//! The one place that knows whether work runs on rayon's pool (feature `parallel`) or on the
//! calling thread. Callers split work in blocks fixed by the data and get the blocks' results
//! back in block order, so the same input gives the same bits either way.

/// `f(0), f(1), ... f(n - 1)`, in that order, computed in parallel when the feature is on.
pub(crate) fn map_blocks<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}

/// Calls `f(i, chunk)` for each `chunk_len`-sized chunk of `data` (the last may be shorter), in
/// parallel when the feature is on.
pub(crate) fn for_chunks_mut<T, F>(data: &mut [T], chunk_len: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync + Send,
{
    let chunk_len = chunk_len.max(1);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(chunk_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
    #[cfg(not(feature = "parallel"))]
    {
        data.chunks_mut(chunk_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
}

/// Runs `f` on a thread of rayon's pool (when the feature is on), so that the parallel calls
/// inside it fork and join among the pool's threads instead of waking them from outside at
/// every call.
pub(crate) fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "parallel")]
    {
        rayon::scope(|_| f())
    }
    #[cfg(not(feature = "parallel"))]
    {
        f()
    }
}
