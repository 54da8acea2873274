//! The one wasmtime [`Engine`] of a host and the thread that drives its epoch clock.
//!
//! Configuration: component model, async calls (so a plugin waiting on storage does not hold a
//! thread), epoch interruption (deadlines without fuel's per-instruction cost), and the pooling
//! allocator sized to the number of worker slots (instances are carved out of pre-reserved
//! memory and reset copy-on-write, which is what makes a fresh instance per task cheap).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: the granularity of deadlines and of yields to the scheduler.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Builds the engine. `instances` is how many plugin instances may be alive at once;
/// `max_memory` the largest linear memory any task may be granted.
pub(crate) fn build_engine(instances: u32, max_memory: u64) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::new();
    // A Rust wasm32-wasip2 component holds a handful of core instances (the program and its
    // shims); leave room for more.
    let per_component_core_instances = 20;
    pool.total_component_instances(instances)
        .total_core_instances(instances * per_component_core_instances)
        .max_core_instances_per_component(per_component_core_instances)
        .total_memories(instances * 2)
        .max_memories_per_component(2)
        .total_tables(instances * 8)
        .max_tables_per_component(8)
        .total_stacks(instances)
        .max_memory_size(usize::try_from(max_memory).unwrap_or(usize::MAX))
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(1 << 20)
        .linear_memory_keep_resident(2 << 20)
        .table_keep_resident(1 << 16)
        // Reset only the pages a task touched (Linux 6.7+; else the low addresses as before):
        // most of a reused slot's memory is clean, and memset of all of it dominated the
        // cost of a short task.
        .pagemap_scan(Enabled::Auto);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .max_wasm_stack(1 << 20)
        .async_stack_size(2 << 20)
        .memory_reservation(max_memory.max(1 << 32))
        .memory_init_cow(true);
    Engine::new(&config)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
#[derive(Debug)]
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    /// Starts the ticker thread.
    pub(crate) fn start(engine: &Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.weak();
        let flag = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("taskhost-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(Self { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
