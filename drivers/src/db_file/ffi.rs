//! The Berkeley DB binding: the only `unsafe` code in the project.
//!
//! Perl's DB_File writes a Berkeley DB **hash** database through libdb's native API.
//! The same library (Debian's libdb 5.3, the runtime package `libdb5.3`) also exports
//! `__db185_open`, its DB 1.85 compatibility entry point, whose handle is a small C
//! struct of function pointers. Calling that needs no C compiler, no `-dev` headers and
//! no binding crate: the declarations below are the whole interface, transcribed from
//! libdb 5.3's `db185/db185_int.in` and `db185/db185.c`:
//!
//! * `DB185 *__db185_open(const char *file, int oflags, int mode, DBTYPE type, const void *openinfo)`;
//!   type `1` is `DB_HASH` in the 1.85 numbering (db185.c: "the DBTYPE enum wasn't
//!   initialized in DB 185, so it's off-by-one from DB 2.0"). A NULL `openinfo`
//!   sets no hash parameters, so the database gets libdb's defaults, including the
//!   default hash function: exactly what DB_File's `tie ... $DB_HASH` uses, which makes
//!   the files interchangeable with Perl (tested live in both directions).
//! * `oflags` go through `__db_openflags`: `O_CREAT` → `DB_CREATE`, an access mode
//!   of `O_RDONLY` → `DB_RDONLY`; every other flag (`O_EXCL` too) is ignored, as in
//!   DB_File. On failure the function returns NULL and sets `errno` (libdb's own
//!   negative codes become `EINVAL`, or `EFAULT` for `DB_RUNRECOVERY`).
//! * `get`, `del` and `seq` return `0` on success, `1` for "not found" (or "no more
//!   keys"), `-1` with `errno` set on error. `get` and `seq` hand back pointers into
//!   buffers the handle owns, valid until the next call on it: they are copied at once.
//! * `close` syncs dirty pages to the file, closes it and frees the handle, even when
//!   it reports an error.
//! * A `DBT` carries a `size_t` length, but libdb copies it into a 32-bit field, so
//!   longer keys or values would be silently truncated: they are refused here.

use std::ffi::{c_char, c_int, c_uint, c_void, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;

/// `DBT185`: a byte string lent to or from libdb.
#[repr(C)]
struct Dbt {
    data: *mut c_void,
    size: usize,
}

impl Dbt {
    /// A DBT lending `bytes` to libdb, which only reads through it (db185.c copies the
    /// pointer into a native DBT used as input to `get`/`put`/`del`).
    fn lend(bytes: &[u8]) -> io::Result<Dbt> {
        if u32::try_from(bytes.len()).is_err() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a Berkeley DB key or value is limited to 4 GiB",
            ));
        }
        Ok(Dbt {
            data: bytes.as_ptr().cast_mut().cast(),
            size: bytes.len(),
        })
    }

    /// An empty DBT for libdb to fill in.
    fn empty() -> Dbt {
        Dbt {
            data: std::ptr::null_mut(),
            size: 0,
        }
    }

    /// Copies out what libdb pointed this DBT at.
    ///
    /// # Safety
    /// `data` must point to `size` readable bytes, as libdb guarantees right after a
    /// successful `get` or `seq` and before the next call on the same handle.
    unsafe fn copy_out(&self) -> Vec<u8> {
        if self.size == 0 || self.data.is_null() {
            return Vec::new();
        }
        // SAFETY: the caller's contract; the bytes are copied before libdb can reuse them.
        unsafe { std::slice::from_raw_parts(self.data.cast::<u8>(), self.size) }.to_vec()
    }
}

/// The leading fields of libdb 5.3's `DB185`, in order. The struct continues with
/// private fields; it is only ever reached through the pointer libdb returns, never
/// created or moved on the Rust side, so declaring the prefix is enough. The
/// `_`-prefixed fields are unused and only keep the layout.
#[repr(C)]
struct Db185 {
    _kind: c_int,
    close: unsafe extern "C" fn(*mut Db185) -> c_int,
    del: unsafe extern "C" fn(*const Db185, *const Dbt, c_uint) -> c_int,
    get: unsafe extern "C" fn(*const Db185, *const Dbt, *mut Dbt, c_uint) -> c_int,
    put: unsafe extern "C" fn(*const Db185, *mut Dbt, *const Dbt, c_uint) -> c_int,
    seq: unsafe extern "C" fn(*const Db185, *mut Dbt, *mut Dbt, c_uint) -> c_int,
    _sync: unsafe extern "C" fn(*const Db185, c_uint) -> c_int,
    _internal: *mut c_void,
    _fd: unsafe extern "C" fn(*const Db185) -> c_int,
}

/// `DB_HASH` in the 1.85 numbering.
const DB185_HASH: c_int = 1;
/// `seq` flags (db185_int.in).
const R_FIRST: c_uint = 3;
const R_NEXT: c_uint = 7;

// The runtime library's file name is libdb-5.3.so (its soname), so `-l db-5.3` links
// without the -dev package's libdb.so symlink.
#[link(name = "db-5.3")]
extern "C" {
    fn __db185_open(
        file: *const c_char,
        oflags: c_int,
        mode: c_int,
        kind: c_int,
        openinfo: *const c_void,
    ) -> *mut Db185;
}

/// How to open the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OpenMode {
    /// `O_RDONLY`: libdb's `DB_RDONLY`; a missing file is `NotFound`.
    ReadOnly,
    /// `O_RDWR|O_CREAT` with this creation mode (before the process umask); libdb
    /// creates a missing or empty file as a new hash database.
    ReadWrite {
        /// The mode for a new file.
        create_mode: u32,
    },
}

/// An open Berkeley DB hash database. Closed (and synced) by [`HashDb::close`], or
/// on drop, which cannot report an error. Not `Send`: libdb handles opened without
/// `DB_THREAD` belong to the thread that opened them.
pub(super) struct HashDb {
    db: NonNull<Db185>,
}

impl HashDb {
    /// Opens the hash database at `path`.
    pub(super) fn open(path: &Path, mode: OpenMode) -> io::Result<HashDb> {
        let file = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "the path contains a NUL byte")
        })?;
        let (oflags, create_mode) = match mode {
            OpenMode::ReadOnly => (libc::O_RDONLY, 0),
            OpenMode::ReadWrite { create_mode } => (libc::O_RDWR | libc::O_CREAT, create_mode),
        };
        // Modes come from `args::parse_mode`, which refuses anything above 0o777.
        let create_mode = c_int::try_from(create_mode)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file mode out of range"))?;
        // SAFETY: `file` is a NUL-terminated string that outlives the call; a NULL
        // `openinfo` is documented as "use the defaults"; libdb returns either NULL or
        // a handle that stays valid until its `close` is called.
        let raw = unsafe {
            __db185_open(
                file.as_ptr(),
                oflags,
                create_mode,
                DB185_HASH,
                std::ptr::null(),
            )
        };
        NonNull::new(raw)
            .map(|db| HashDb { db })
            .ok_or_else(last_error)
    }

    /// The value stored under `key`, or `None`.
    pub(super) fn get(&mut self, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let key = Dbt::lend(key)?;
        let mut value = Dbt::empty();
        let db = self.db.as_ptr();
        // SAFETY: `db` is a live handle (only `close`/drop end it, and both consume
        // it); `key` points at borrowed bytes libdb only reads; `value` is ours to fill.
        let status = unsafe { ((*db).get)(db, &key, &mut value, 0) };
        match status {
            // SAFETY: a successful `get` points `value` at the handle's return buffer,
            // untouched until the next call on this handle, which `&mut self` excludes.
            0 => Ok(Some(unsafe { value.copy_out() })),
            1 => Ok(None),
            _ => Err(last_error()),
        }
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub(super) fn put(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        let mut key = Dbt::lend(key)?;
        let value = Dbt::lend(value)?;
        let db = self.db.as_ptr();
        // SAFETY: as in `get`; with flags 0, `put` reads both DBTs' bytes and only
        // rewrites the `key` struct itself (a local here), never the bytes it lends.
        let status = unsafe { ((*db).put)(db, &mut key, &value, 0) };
        match status {
            0 => Ok(()),
            _ => Err(last_error()),
        }
    }

    /// Deletes `key`; a key that is not there is not an error.
    pub(super) fn delete(&mut self, key: &[u8]) -> io::Result<()> {
        let key = Dbt::lend(key)?;
        let db = self.db.as_ptr();
        // SAFETY: as in `get`; `del` with flags 0 only reads the key.
        let status = unsafe { ((*db).del)(db, &key, 0) };
        match status {
            0 | 1 => Ok(()),
            _ => Err(last_error()),
        }
    }

    /// Every key, in the order libdb's cursor walks them (Perl's `each` order).
    pub(super) fn keys(&mut self) -> io::Result<Vec<Vec<u8>>> {
        let mut keys = Vec::new();
        let mut flag = R_FIRST;
        let db = self.db.as_ptr();
        loop {
            let mut key = Dbt::empty();
            let mut value = Dbt::empty();
            // SAFETY: as in `get`; `seq` fills both DBTs from the handle's own cursor.
            let status = unsafe { ((*db).seq)(db, &mut key, &mut value, flag) };
            match status {
                // SAFETY: a successful `seq` points `key` at the cursor's buffer, valid
                // until the next call on this handle; it is copied before that.
                0 => keys.push(unsafe { key.copy_out() }),
                1 => return Ok(keys),
                _ => return Err(last_error()),
            }
            flag = R_NEXT;
        }
    }

    /// Writes every change to the file and closes it, reporting a failure.
    pub(super) fn close(self) -> io::Result<()> {
        let db = self.db.as_ptr();
        std::mem::forget(self);
        // SAFETY: `db` is live and, with `self` forgotten, closed exactly once; libdb
        // frees the handle whatever the outcome, so it is never touched again.
        match unsafe { ((*db).close)(db) } {
            0 => Ok(()),
            _ => Err(last_error()),
        }
    }
}

impl Drop for HashDb {
    fn drop(&mut self) {
        let db = self.db.as_ptr();
        // SAFETY: drop runs at most once and only for a handle `close` did not take.
        unsafe { ((*db).close)(db) };
    }
}

/// The `errno` libdb set, or a plain failure if it left none.
fn last_error() -> io::Error {
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(0) {
        io::Error::other("libdb reported a failure without a reason")
    } else {
        error
    }
}
