//! The generated `progress::Host` trait, implemented on [`ProgressCtx`].

use crate::capabilities::progress::{MAX_MESSAGE_BYTES, ProgressCtx};
use crate::runtime::Output;
use crate::runtime::bindings::taskhost::plugin::progress::Host;
use crate::runtime::bindings::types::Output as WitOutput;

impl Host for ProgressCtx {
    async fn report(&mut self, fraction: f32, message: String) {
        let fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self.observer
            .progress(fraction, truncate(&message, MAX_MESSAGE_BYTES));
    }

    async fn publish(&mut self, output: WitOutput) -> Result<(), String> {
        let size = output.body.len() as u64;
        if !self.charge_output(size) {
            return Err(format!(
                "publishing {size} bytes would pass the task's output limit of {} bytes",
                self.output_limit()
            ));
        }
        self.observer.intermediate(&Output {
            content_type: output.content_type,
            body: output.body,
        });
        Ok(())
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
