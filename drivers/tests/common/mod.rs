//! Fixtures shared by the driver integration tests.
// Each test binary compiles its own copy and uses only some of these.
#![allow(dead_code)]

use std::fs::{self, File};
use std::ops::ControlFlow;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cgi_session_drivers::{Args, Driver, FileDriver};

/// Driver arguments from pairs.
pub fn args(pairs: &[(&str, &str)]) -> Args {
    cgi_session_test_support::pairs(pairs)
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

/// The permission bits of `path`.
pub fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Where [`run_umask_022_child`] tells the child to work.
const UMASK_CHILD_DIR: &str = "CGISESS_TEST_UMASK_CHILD_DIR";

/// Runs this test binary's ignored test `umask_022_child` in a child process under
/// `umask 022` (the process umask is global, and changing it needs unsafe code), with
/// `dir` for it to work in; fails unless the child passes.
pub fn run_umask_022_child(dir: &Path) {
    let child = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "umask_022_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(UMASK_CHILD_DIR, dir)
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "child test failed ({}):\n{}{}",
        child.status,
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
}

/// In `umask_022_child`: the directory [`run_umask_022_child`] gave, or `None` (after
/// saying so) when the test was started some other way.
pub fn umask_child_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(UMASK_CHILD_DIR);
    if dir.is_none() {
        eprintln!("nothing to do: started without {UMASK_CHILD_DIR}");
    }
    dir.map(PathBuf::from)
}
