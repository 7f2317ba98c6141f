//! Process-wide settings, applied by the binary at start (never by the
//! library on its own), and giving freed memory back after a burst:
//!
//! - the soft limit on open files is raised to the hard limit: every
//!   connection is a file descriptor, and a default soft limit of 1,024
//!   would run out long before the connection cap (`MCP_MAX_CONNECTIONS`),
//!   making `accept` fail for everyone, probes included;
//! - glibc's allocator is told to serve blocks of 128 KiB and more with
//!   `mmap` always. By default it raises that threshold after the first
//!   large free, so request bodies of up to 1 MiB then come from the heap
//!   and a burst of them stays resident long after it is over; with a fixed
//!   threshold such blocks go back to the system when freed;
//! - after a burst of many small allocations (the inventory index's first
//!   read of a 20,000-VM vCenter), [`release_free_memory`] hands the
//!   allocator's free pages back, so resident memory follows the working
//!   set rather than the peak.

/// The soft and hard limits on open files after trying to raise the soft
/// one, or `None` where the platform has no such limit.
#[cfg(unix)]
pub fn raise_open_files_limit() -> Option<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not on every unix
    let limits = (limit.rlim_cur as u64, limit.rlim_max as u64);
    Some(limits)
}

/// The soft and hard limits on open files after trying to raise the soft
/// one, or `None` where the platform has no such limit.
#[cfg(not(unix))]
pub fn raise_open_files_limit() -> Option<(u64, u64)> {
    None
}

/// The size from which allocations are always served by `mmap`.
pub const MMAP_THRESHOLD_BYTES: usize = 128 * 1024;

/// Fix glibc's mmap threshold at [`MMAP_THRESHOLD_BYTES`], so that large
/// freed blocks return to the system; whether it was applied.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_blocks_to_the_system() -> bool {
    // SAFETY: mallopt only changes the allocator's tuning; it is called once
    // at start, before the server's threads allocate request bodies.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES as libc::c_int) == 1 }
}

/// Fix glibc's mmap threshold; other allocators already return large blocks.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks_to_the_system() -> bool {
    false
}

/// Return free heap pages to the OS (a no-op where the allocator is not glibc's).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free; it
    // touches no live allocation and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
