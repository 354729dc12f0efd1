//! Fixtures shared by the driver integration tests.
// Each test binary compiles its own copy and uses only some of these.
#![allow(dead_code)]

use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cgi_session_drivers::{Args, Driver, FileDriver};

/// Driver arguments from pairs.
pub fn args(pairs: &[(&str, &str)]) -> Args {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A file driver on `dir`, with more arguments.
pub fn driver_in(dir: &Path, extra: &[(&str, &str)]) -> FileDriver {
    let mut a = args(extra);
    a.insert(
        "Directory".into(),
        dir.to_str().expect("UTF-8 temp dir").into(),
    );
    FileDriver::from_args(&a).expect("driver")
}

/// Every id `traverse` reports, sorted.
pub fn listed_ids(driver: &dyn Driver) -> Vec<String> {
    let mut ids = Vec::new();
    driver
        .traverse(&mut |id| {
            ids.push(id.to_owned());
            ControlFlow::Continue(())
        })
        .expect("traverse");
    ids.sort();
    ids
}

/// Takes `flock` on `path` in another thread (its own open file description, so it
/// excludes this process's other opens exactly as another process would) and holds
/// it for `hold`. Returns when the lock is held, with the instant it was taken; the
/// thread returns the instant just before it let go.
pub fn hold_lock(path: &Path, exclusive: bool, hold: Duration) -> (Instant, JoinHandle<Instant>) {
    let file = File::open(path).expect("open for locking");
    let (locked_tx, locked_rx) = mpsc::channel();
    let holder = thread::spawn(move || {
        if exclusive {
            file.lock().expect("LOCK_EX");
        } else {
            file.lock_shared().expect("LOCK_SH");
        }
        locked_tx.send(Instant::now()).expect("report lock");
        thread::sleep(hold);
        let releasing_at = Instant::now();
        drop(file);
        releasing_at
    });
    (locked_rx.recv().expect("lock taken"), holder)
}

/// The hold time used by the lock tests: long enough to tell waiting from not.
pub const HOLD: Duration = Duration::from_millis(400);
