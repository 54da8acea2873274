//! Progress reports (which also keep the task's lease alive) and intermediate results.

use crate::bindings::taskhost::plugin::progress as wit;
use crate::{Error, Output};

/// Reports how far the task is (0.0 to 1.0) with a short message. Values outside the range are
/// clamped. Call it at least every few seconds during long work: it extends the task's lease.
pub fn report(fraction: f32, message: &str) {
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    wit::report(fraction, message);
}

/// Publishes an intermediate result before the task ends. Counts towards the output limit.
pub fn publish(output: Output) -> Result<(), Error> {
    wit::publish(&output.into_wit()).map_err(Error::Internal)
}
