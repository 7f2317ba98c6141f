//! Giving freed heap back to the operating system after a burst. glibc's
//! allocator keeps freed memory mapped in its arenas, so without this the
//! server's resident size stays at the peak of its largest burst (the first
//! full read of a 20,000-VM inventory, a run of large requests) long after
//! the memory was freed.

/// Return free heap pages to the OS (a no-op where the allocator is not glibc's).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free; it
    // touches no live allocation and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
