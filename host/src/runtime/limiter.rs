//! The store's resource limiter: caps memory and table growth, and remembers
//! that it refused, so an out-of-memory trap is reported as such.

use wasmtime::ResourceLimiter;

/// Caps one store's memory.
#[derive(Debug)]
pub struct MemoryCap {
    max_bytes: usize,
    /// Set once a growth request was refused.
    pub refused: bool,
}

/// Table elements a plugin may have; far above what a tool group needs.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl MemoryCap {
    /// Cap memory at `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        MemoryCap {
            max_bytes,
            refused: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.max_bytes;
        if !ok {
            self.refused = true;
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
