//! Storage drivers: where a CGI::Session record lives, as bytes.
//!
//! A driver moves opaque bytes to and from a store under a session id. It knows
//! nothing of serializers or session semantics — exactly Perl's four-method
//! contract (`retrieve`, `store`, `remove`, `traverse`), and that smallness is the
//! point: a new store is four methods.
//!
//! # The contract
//! See [`Driver`]. Every driver shares its store with Perl 4.48: the same file
//! names, keys, rows, modes and locks, so a Perl process and a Rust process can
//! use one store at the same time.
//!
//! In Perl terms (spec §5.1), `retrieve` returns the data, or a false value for "not
//! found", or undef with errstr; `store` and `remove` return true or undef. Here:
//!
//! | Perl | Rust |
//! |---|---|
//! | `retrieve` returns data | `Ok(Some(bytes))` |
//! | `retrieve` returns `0`, `""` (or data `"0"`, which the session reads as false, spec §2.3 step 7) | `Ok(None)` |
//! | undef + errstr | `Err(Error)`, naming the operation and the path or key, like Perl's errstr |
//!
//! [`memory`] walks through implementing the trait, one decision at a time.
//!
//! # Traversal is push, not pull
//! [`Driver::traverse`] calls back once per stored id (internal iteration), as
//! Perl's `traverse($coderef)` does. The driver keeps control of its cursor,
//! directory handle or lock for exactly as long as the walk lasts, and the caller
//! never holds a half-open iterator; [`ControlFlow::Break`] stops early. Callers
//! that load sessions during a walk do so through the same `&self`, so a driver
//! must not hold a lock across the callback that its own `retrieve` would need.
//!
//! # Arguments
//! Drivers are built from [`Args`], Perl's driver-argument hash with text values.
//! [`args`] reads them the way Perl does (`||` versus `exists` defaults, Perl
//! truthiness, octal modes) and reports a malformed value as [`Error::BadArg`].
//!
//! # Drivers here
//! * [`file`](mod@file): the default store, one file per session (spec §5.2).
//! * [`memory`]: an in-process map; the worked example of the contract.
//! * `db_file` (cargo feature `db_file`): Perl's DB_File hash database (spec §5.3).
//! * `redis` (cargo feature `redis`): the key layout of CPAN's `CGI::Session::Driver::redis`,
//!   with a working, self-healing traverse.
//! * `memcached` (cargo feature `memcached`): the layout of CPAN's
//!   `CGI::Session::Driver::memcached` over `Cache::Memcached`; cannot traverse.
//! * [`ruby`]: Ruby's `cgi/session` stores, FileStore and PStore, shared with Ruby
//!   processes; their listings name sessions by `digest:` pseudo-ids.
//! * `sqlite`, `postgresql`, `mysql` (cargo features of the same names): Perl's DBI
//!   drivers, one row per session in a shared table (spec §5.4–§5.7); see `dbi`.
// `deny`, not `forbid`: the Berkeley DB binding (db_file's `ffi` module, behind the
// `db_file` feature) is the one place in the project allowed `unsafe`, with its own
// `#[allow]`; `forbid` could not be relaxed there.
#![deny(unsafe_code)]
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::ops::ControlFlow;

pub mod args;
#[cfg(feature = "db_file")]
pub mod db_file;
#[cfg(any(feature = "sqlite", feature = "postgresql", feature = "mysql"))]
pub mod dbi;
pub mod file;
#[cfg(any(feature = "redis", feature = "memcached"))]
mod kv;
pub mod lint;
#[cfg(feature = "memcached")]
pub mod memcached;
pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;
pub mod ruby;
pub mod sweep;

#[cfg(feature = "db_file")]
pub use db_file::DbFileDriver;
#[cfg(feature = "mysql")]
pub use dbi::mysql::MysqlDriver;
#[cfg(feature = "postgresql")]
pub use dbi::postgresql::PostgresqlDriver;
#[cfg(feature = "sqlite")]
pub use dbi::sqlite::SqliteDriver;
pub use file::FileDriver;
#[cfg(feature = "memcached")]
pub use memcached::MemcachedDriver;
pub use memory::MemoryDriver;
#[cfg(feature = "redis")]
pub use redis::RedisDriver;
pub use ruby::{RubyFileStoreDriver, RubyPStoreDriver};
pub use sweep::{Swept, Verdict};

/// Driver arguments by Perl's option names (`Directory`, `UMask`, `NoFlock`, `DataSource`, ...).
/// Values are text; numeric options accept Perl's spellings (see [`args`]).
pub type Args = BTreeMap<String, String>;

/// What went wrong in a driver, naming the store and the operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The session id cannot be used as a key in this store (e.g. `/` for the file driver).
    #[error("{op}(): session id {id:?} is not valid here: {reason}")]
    InvalidId {
        /// The operation: `retrieve`, `store`, `remove`.
        op: &'static str,
        /// The offending id.
        id: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// An I/O error on a path.
    #[error("{op}(): {what} '{path}': {source}")]
    Io {
        /// The operation.
        op: &'static str,
        /// What was being done, e.g. `couldn't open`.
        what: &'static str,
        /// The path involved.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A driver argument is missing or malformed.
    #[error("driver argument {name}: {message}")]
    BadArg {
        /// Perl's option name.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// The store refused something for a security reason (e.g. a symlink planted where a
    /// session file should be that could not be removed).
    #[error("{op}(): {message}")]
    Refused {
        /// The operation.
        op: &'static str,
        /// What was refused and why.
        message: String,
    },
    /// The driver cannot do this at all (e.g. traverse on a store with no listing).
    #[error("{driver} driver: {message}")]
    Unsupported {
        /// The driver's name.
        driver: &'static str,
        /// What it cannot do, and what to do instead.
        message: String,
    },
    /// Any other failure of the backing store, with its message.
    #[error("{driver} driver: {message}")]
    Backend {
        /// The driver's name.
        driver: &'static str,
        /// The store's own message.
        message: String,
    },
}

/// Perl's data rule (spec §2.3 step 7, §5.4 retrieve), shared by every store: a
/// missing, NULL, `""` or `"0"` record is "not found".
pub(crate) fn found(record: Option<Vec<u8>>) -> Option<Vec<u8>> {
    record.filter(|data| !(data.is_empty() || data == b"0"))
}

/// Every id `driver` lists, sorted: what the unit tests of the stores compare.
#[cfg(test)]
pub(crate) fn listed(driver: &dyn Driver) -> Vec<String> {
    let mut ids = Vec::new();
    driver
        .traverse(&mut |id| {
            ids.push(id.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
    ids.sort();
    ids
}

/// Moves session records (opaque bytes) to and from one store.
///
/// All methods take `&self` so one driver can serve many sessions and threads;
/// drivers with connection state guard it internally.
pub trait Driver: Send + Sync {
    /// The name used in a DSN (`driver:NAME`).
    fn name(&self) -> &'static str;

    /// The record stored under `id`: `Ok(None)` when there is none (Perl's "not found",
    /// which for Perl also covers an empty record), `Err` only when the store failed.
    ///
    /// An id the store could never hold is also "not found", not an error, as in Perl
    /// (spec §5.2: the file driver's `retrieve("a/b")` finds nothing).
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error>;

    /// Writes the whole record for `id`, creating or replacing it.
    ///
    /// A concurrent writer of the same id is a collision the last writer wins; the
    /// record is never merged. An id the store cannot key is refused with
    /// [`Error::InvalidId`], never mangled into another key.
    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error>;

    /// [`store`](Driver::store), told how long the session has left to live: the
    /// time until its idle expiry (`_SESSION_ATIME + _SESSION_ETIME`), or `None` when
    /// it has no expiry. Perl added this argument in 4.x (`$etime`, RT#51191) but never
    /// used it; stores with a native TTL (redis, memcached) may use it so that records
    /// nobody purges still go away. The default ignores it.
    fn store_expiring(
        &self,
        id: &str,
        data: &[u8],
        expires_in: Option<std::time::Duration>,
    ) -> Result<(), Error> {
        let _ = expires_in;
        self.store(id, data)
    }

    /// Removes the record for `id`. Removing a record that is already gone succeeds.
    ///
    /// (Perl's file driver reports that case as an error, spec §8.2 item 7; treating
    /// it as success makes concurrent deletes of one session both succeed.)
    fn remove(&self, id: &str) -> Result<(), Error>;

    /// Calls `visit` once for every stored id, in storage order, until it returns
    /// [`ControlFlow::Break`]. Ids that cannot be named (not UTF-8) are skipped.
    ///
    /// `visit` may call `retrieve`, `store` and `remove` on this same driver (Perl's
    /// `find()` loads every session it visits), so no lock those need may be held
    /// while it runs. `Err` means the listing itself failed (e.g. the directory
    /// cannot be opened); what the callback does with each id is its own business.
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error>;

    /// Reads the record for `id` once, asks `decide` what to do with it, and does it
    /// (see [`sweep`]): the step of a purge. `buf` is scratch space the caller reuses
    /// across calls so that a driver can read without allocating.
    ///
    /// The default is Perl's `find()` order through the contract methods: `retrieve`,
    /// then `remove` or `store_expiring`. A driver that overrides it must keep those
    /// semantics and may only narrow races (e.g. remove a record only if it is unchanged).
    fn sweep_one(
        &self,
        id: &str,
        buf: &mut Vec<u8>,
        decide: &mut dyn FnMut(&[u8]) -> Verdict,
    ) -> Result<Swept, Error> {
        let _ = buf;
        sweep::through_contract(self, id, decide)
    }

    /// When the record of `id` was last written, if the store keeps such a time
    /// (`Ok(None)` otherwise, and when there is no record): what an idle purge falls
    /// back on for a record that holds no `_SESSION_ATIME` (Ruby's stores). The
    /// default knows nothing.
    fn modified(&self, id: &str) -> Result<Option<std::time::SystemTime>, Error> {
        let _ = id;
        Ok(None)
    }

    /// What this driver alone can tell about how its store is set up: file modes and
    /// owners, options that weaken it, indexes drifting from the data (see [`lint`]).
    /// Reads only; never changes the store. `Err` when the store cannot be inspected
    /// at all. The default finds nothing.
    fn lint(&self) -> Result<Vec<lint::Finding>, Error> {
        Ok(Vec::new())
    }
}
