//! The global allocator of the `buckle` binary.
//!
//! Reading a Packages index makes millions of small allocations; mimalloc serves them
//! with far fewer page faults and system calls than glibc's allocator. By default it
//! keeps pages it no longer uses for a while (a second in mimalloc 3) before giving
//! them back. `buckle lock` builds one package universe after another (70,000 packages
//! each), so the pages of a universe already dropped were still held when the next one
//! was built: locking the catalog peaked at 300-340 MiB, against 190 MiB when they are
//! given back at once, in the same time (docs/BENCHMARKS.md).

/// The allocator to declare with `#[global_allocator]`.
pub use mimalloc::MiMalloc as Allocator;

/// `mi_option_purge_delay` of mimalloc.h, which the Rust bindings name no constant for:
/// the option just before `mi_option_use_numa_nodes`.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Makes the allocator give each page back to the system as soon as nothing in it is
/// in use. Call it first thing in `main`.
#[allow(unsafe_code)]
pub fn give_memory_back_at_once() {
    // SAFETY: mi_option_set only stores the option's value, which mimalloc reads when
    // it next decides whether to purge a page; it is meant to be called at any time.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    use super::PURGE_DELAY;

    #[allow(unsafe_code)]
    fn purge_delay() -> std::os::raw::c_long {
        // SAFETY: reading an option has no precondition.
        unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
    }

    #[test]
    fn the_option_set_is_the_purge_delay_and_it_becomes_zero() {
        // mimalloc 3's default purge delay (options.c): this is the right option.
        assert_eq!(purge_delay(), 1000);
        super::give_memory_back_at_once();
        assert_eq!(purge_delay(), 0);
    }
}
