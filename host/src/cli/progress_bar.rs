//! A progress bar on stderr that follows the plugin's progress reports (only on a terminal).

use indicatif::{ProgressBar, ProgressStyle};

use crate::runtime::{Output, TaskObserver};

/// Shows progress reports as a bar.
#[derive(Debug)]
pub(crate) struct ProgressBarObserver {
    bar: ProgressBar,
}

impl ProgressBarObserver {
    pub(crate) fn new(task_name: &str) -> Self {
        let bar = ProgressBar::new(1000);
        if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {percent:>3}% {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(task_name.to_owned());
        Self { bar }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl TaskObserver for ProgressBarObserver {
    fn progress(&self, fraction: f32, message: &str) {
        self.bar.set_position((f64::from(fraction) * 1000.0) as u64);
        self.bar.set_message(message.to_owned());
    }

    fn intermediate(&self, output: &Output) {
        self.bar.println(format!(
            "intermediate result: {} bytes of {}",
            output.body.len(),
            output.content_type
        ));
    }
}
