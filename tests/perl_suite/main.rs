//! Perl 4.48's own test files (`t/*.t`), ported one subject per module, plus the
//! session semantics the spec verified by experiment that Perl's suite leaves
//! untested (status bits, idle expiry, read-only loads, `find`).
//!
//! Every store is a fresh temporary directory, and every test that is not a port of
//! a sleeping Perl test runs on a fixed [`Clock`] instead of sleeping.

mod api3;
mod client;
mod expiry;
mod find;
mod header;
mod lifecycle;
mod name;
mod objects;
mod symlink;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use cgi_session::drivers::{self, MemoryDriver};
use cgi_session::{Args, Config, ConfigBuilder, Driver, Value};
use tempfile::TempDir;

/// The DSN of the store Perl and Rust share by default.
pub const FILE_DSN: &str = "driver:file;serializer:default";

/// An arbitrary fixed "now" (Tue, 14 Nov 2023 22:13:20 GMT) for clock-driven tests.
pub const T0: i64 = 1_700_000_000;

/// A settable time source for [`ConfigBuilder::clock`], shared by every config made
/// from one [`Store`].
#[derive(Clone)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    /// A clock stopped at `epoch`.
    pub fn at(epoch: i64) -> Clock {
        Clock(Arc::new(AtomicI64::new(epoch)))
    }

    /// The current time.
    pub fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the clock forward (or back, with a negative `seconds`).
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    fn source(&self) -> impl Fn() -> i64 + Send + Sync + 'static {
        let time = Arc::clone(&self.0);
        move || time.load(Ordering::SeqCst)
    }
}

/// A file store in its own temporary directory, with a fixed clock.
pub struct Store {
    tmp: TempDir,
    /// The clock every config of this store reads.
    pub clock: Clock,
}

impl Default for Store {
    fn default() -> Store {
        Store {
            tmp: tempfile::tempdir().expect("temp dir"),
            clock: Clock::at(T0),
        }
    }
}

impl Store {
    /// An empty store at [`T0`].
    pub fn new() -> Store {
        Store::default()
    }

    /// The session directory.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// `{Directory => dir}`.
    pub fn args(&self) -> Args {
        directory_args(self.dir())
    }

    /// A builder for `dsn` (`None`: Perl's default DSN) on this store's directory and clock.
    pub fn builder<'a>(&self, dsn: impl Into<Option<&'a str>>) -> ConfigBuilder {
        Config::builder(dsn.into())
            .args(self.args())
            .clock(self.clock.source())
    }

    /// The file driver with the default serializer, on this store.
    pub fn config(&self) -> Config {
        self.builder(FILE_DSN).build().expect("config")
    }

    /// The file that holds session `id`.
    pub fn file(&self, id: &str) -> PathBuf {
        self.dir().join(format!("cgisess_{id}"))
    }

    /// The names in the directory, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir())
            .expect("read the store directory")
            .map(|e| {
                e.expect("directory entry")
                    .file_name()
                    .into_string()
                    .expect("UTF-8 name")
            })
            .collect();
        names.sort();
        names
    }
}

/// `{Directory => dir}`.
pub fn directory_args(dir: &Path) -> Args {
    Args::from([("Directory".to_string(), dir.display().to_string())])
}

/// How often each driver method ran.
#[derive(Debug, Default)]
pub struct Calls {
    retrieve: AtomicUsize,
    store: AtomicUsize,
    remove: AtomicUsize,
}

impl Calls {
    /// `(retrieve, store, remove)`.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.retrieve.load(Ordering::SeqCst),
            self.store.load(Ordering::SeqCst),
            self.remove.load(Ordering::SeqCst),
        )
    }
}

/// A memory store that counts what the session layer asks of it, to tell "no I/O" apart.
#[derive(Default)]
pub struct CountingDriver {
    inner: MemoryDriver,
    /// Shared with the test, which keeps a handle after giving the driver away.
    pub calls: Arc<Calls>,
}

impl Driver for CountingDriver {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, drivers::Error> {
        self.calls.retrieve.fetch_add(1, Ordering::SeqCst);
        self.inner.retrieve(id)
    }

    fn store(&self, id: &str, data: &[u8]) -> Result<(), drivers::Error> {
        self.calls.store.fetch_add(1, Ordering::SeqCst);
        self.inner.store(id, data)
    }

    fn remove(&self, id: &str) -> Result<(), drivers::Error> {
        self.calls.remove.fetch_add(1, Ordering::SeqCst);
        self.inner.remove(id)
    }

    fn traverse(
        &self,
        visit: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<(), drivers::Error> {
        self.inner.traverse(visit)
    }
}

/// A config on a [`CountingDriver`] with a fixed clock, and the driver's counters.
pub fn counting_config(clock: &Clock) -> (Config, Arc<Calls>) {
    let driver = CountingDriver::default();
    let calls = Arc::clone(&driver.calls);
    let config = Config::builder(Some("driver:memory"))
        .driver(driver)
        .clock(clock.source())
        .build()
        .expect("config");
    (config, calls)
}

/// The stored data of `id` (reserved keys included), read with no session semantics.
pub fn stored(config: &Config, id: &str) -> Value {
    config
        .peek(id)
        .unwrap_or_else(|e| panic!("peek({id}): {e}"))
        .unwrap_or_else(|| panic!("no record for {id}"))
}

/// Whether the stored data has the key at all (Perl's `exists`).
pub fn has_key(data: &Value, name: &str) -> bool {
    data.get(name).is_some()
}
