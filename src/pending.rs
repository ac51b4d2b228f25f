//! The paths of the temporary files not yet committed (`persist::AtomicFile`), kept where a
//! handler of a synchronous fault can read them: a SIGBUS (a mapped model file truncated
//! under the program) runs on the faulting thread, which may hold any lock or be inside the
//! allocator, so the handler can neither lock `persist`'s list nor build a path. Here each
//! path is a C string built beforehand, published in a fixed array of atomic pointers.

use std::ffi::{CStr, CString, c_char};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Temporary files registered at once, at most: a run writes one or two (OUT and the rejects
/// file, or a model). Past that, a file is still removed on errors and interruptions, not
/// on a fault.
const SLOTS: usize = 64;

static PATHS: [AtomicPtr<c_char>; SLOTS] = [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS];

/// Publishes `path` for [`remove_all`].
pub(crate) fn register(path: &Path) {
    let Ok(path) = CString::new(path.as_os_str().as_bytes()) else {
        return;
    };
    let path = path.into_raw();
    for slot in &PATHS {
        if (slot.compare_exchange(ptr::null_mut(), path, Ordering::AcqRel, Ordering::Relaxed))
            .is_ok()
        {
            return;
        }
    }
    // SAFETY: `path` comes from `CString::into_raw` above and was published nowhere.
    drop(unsafe { CString::from_raw(path) });
}

/// Withdraws `path` (committed, or removed already). Its C string is never freed: a fault
/// handler on another thread may be reading it at this very moment. A few dozen bytes per
/// output file.
pub(crate) fn unregister(path: &Path) {
    let path = path.as_os_str().as_bytes();
    for slot in &PATHS {
        let current = slot.load(Ordering::Acquire);
        // SAFETY: a non-null pointer in a slot is a C string leaked by `register`, never
        // freed.
        if !current.is_null() && unsafe { CStr::from_ptr(current) }.to_bytes() == path {
            let _ = slot.compare_exchange(
                current,
                ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }
}

/// Deletes every registered file. Async-signal-safe: atomic loads and `unlink` only, no
/// allocation and no lock, for a handler of SIGBUS.
pub fn remove_all() {
    for slot in &PATHS {
        let path = slot.load(Ordering::Acquire);
        if !path.is_null() {
            // SAFETY: a C string leaked by `register`, never freed; unlink only reads it.
            unsafe {
                libc::unlink(path);
            }
        }
    }
}
