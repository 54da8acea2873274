//! Which task names are quick enough to claim ahead of free slots.
//!
//! A claim normally asks for as many tasks as there are free slots. For tasks that take a
//! fraction of a millisecond that makes the claim round trip the bottleneck: the slots sit
//! idle while the next claim is in flight. So for task names whose recent runs were all short
//! (an exponentially weighted mean under [`QUICK_BELOW`], after [`MIN_RUNS`] runs) the worker
//! claims up to `prefetch` more, which wait in order for a slot. A prefetched task waits at most
//! about `prefetch x mean / slots` (a few tens of milliseconds), and a heavy task is never
//! prefetched, so other hosts are not starved of the work that matters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// A task name is quick when its mean run time is below this.
pub const QUICK_BELOW: Duration = Duration::from_millis(2);

/// Runs seen before a name can be called quick.
pub const MIN_RUNS: u32 = 8;

/// The weight of the newest run in the mean.
const NEWEST_WEIGHT: f64 = 0.2;

#[derive(Debug, Clone, Copy)]
struct RunTimes {
    runs: u32,
    mean_secs: f64,
}

/// The recent run times of each task name.
#[derive(Debug, Default)]
pub struct QuickNames {
    by_name: Mutex<HashMap<String, RunTimes>>,
}

impl QuickNames {
    /// Records one run of `name`.
    pub fn observe(&self, name: &str, took: Duration) {
        let secs = took.as_secs_f64();
        let mut by_name = self.by_name.lock().unwrap_or_else(|p| p.into_inner());
        match by_name.get_mut(name) {
            Some(times) => {
                times.runs = times.runs.saturating_add(1);
                times.mean_secs += NEWEST_WEIGHT * (secs - times.mean_secs);
            }
            None => {
                by_name.insert(
                    name.to_owned(),
                    RunTimes {
                        runs: 1,
                        mean_secs: secs,
                    },
                );
            }
        }
    }

    /// The names among `names` that are quick now.
    pub fn among(&self, names: &[String]) -> Vec<String> {
        let by_name = self.by_name.lock().unwrap_or_else(|p| p.into_inner());
        names
            .iter()
            .filter(|name| {
                by_name.get(name.as_str()).is_some_and(|times| {
                    times.runs >= MIN_RUNS && times.mean_secs < QUICK_BELOW.as_secs_f64()
                })
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|&n| n.to_owned()).collect()
    }

    #[test]
    fn a_name_is_quick_only_after_enough_short_runs() {
        let quick = QuickNames::default();
        for _ in 0..MIN_RUNS - 1 {
            quick.observe("Echo", Duration::from_micros(200));
        }
        assert!(quick.among(&names(&["Echo"])).is_empty(), "too few runs");
        quick.observe("Echo", Duration::from_micros(200));
        assert_eq!(quick.among(&names(&["Echo", "Other"])), names(&["Echo"]));
    }

    #[test]
    fn slow_runs_make_a_name_slow_again() {
        let quick = QuickNames::default();
        for _ in 0..MIN_RUNS {
            quick.observe("Echo", Duration::from_micros(100));
        }
        assert_eq!(quick.among(&names(&["Echo"])).len(), 1);
        for _ in 0..3 {
            quick.observe("Echo", Duration::from_secs(1));
        }
        assert!(quick.among(&names(&["Echo"])).is_empty());
    }

    #[test]
    fn heavy_names_are_never_quick() {
        let quick = QuickNames::default();
        for _ in 0..100 {
            quick.observe("PrepareExperiment", Duration::from_millis(1_300));
        }
        assert!(quick.among(&names(&["PrepareExperiment"])).is_empty());
    }
}
