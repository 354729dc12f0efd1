//! The file store on the file system (spec §5.2, §8.1 item 4): modes under the
//! umasks web servers run with, and symlinks planted where session files go.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

use cgi_session::{Args, Config, PurgeOptions};
use cgi_session_test_support::run;

/// Where the parent tells [`umask_child_main`] to work.
const CHILD_DIR: &str = "CGISESS_TEST_SECURITY_UMASK_DIR";

fn config(dir: &Path) -> Config {
    let args = Args::from([("Directory".to_string(), dir.display().to_string())]);
    Config::new(Some("driver:file"), args).unwrap()
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// In a child started under a umask: a session whose store directory does not exist
/// yet, created and flushed through the public API.
pub fn umask_child_main() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        eprintln!("nothing to do: started without {CHILD_DIR}");
        return;
    };
    let mut session = config(&Path::new(&dir).join("sessions"))
        .new_session(None)
        .unwrap();
    session.set_param("user", "alice").unwrap();
    session.flush().unwrap();
}

#[test]
fn sessions_are_closed_to_other_users_under_umask_022_and_000() {
    // The umask is per process and tests run in threads: each runs in a child.
    for (umask, file_mode, dir_mode) in [("022", 0o640, 0o750), ("000", 0o660, 0o770)] {
        let tmp = tempfile::tempdir().unwrap();
        run(
            Command::new("sh")
                .args(["-c", &format!("umask {umask} && exec \"$0\" \"$@\"")])
                .arg(std::env::current_exe().unwrap())
                .args(["--exact", "umask_child", "--ignored", "--test-threads=1"])
                .env(CHILD_DIR, tmp.path()),
            b"",
        );
        let sessions = tmp.path().join("sessions");
        let files: Vec<_> = fs::read_dir(&sessions)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        // Perl's UMask 0660 is the creation mode: never readable by other users.
        assert_eq!(mode_of(&files[0]), file_mode, "umask {umask}: session file");
        // The directory would list every session id: not listable by others either.
        assert_eq!(mode_of(&sessions), dir_mode, "umask {umask}: directory");
    }
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A store with a victim session, and a symlink `cgisess_link` to the victim's file
/// (and one to a file outside the store, `cgisess_outside`).
fn planted() -> (tempfile::TempDir, Config, String) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("sessions");
    let config = config(&store);
    let mut victim = config.new_session(None).unwrap();
    victim.set_param("secret", "victim's").unwrap();
    victim.expire("1s").unwrap();
    victim.flush().unwrap();
    let id = victim.id().unwrap();
    symlink(
        store.join(format!("cgisess_{id}")),
        store.join("cgisess_link"),
    )
    .unwrap();
    fs::write(tmp.path().join("outside"), b"not a session").unwrap();
    symlink(tmp.path().join("outside"), store.join("cgisess_outside")).unwrap();
    (tmp, config, id)
}

#[test]
fn a_symlinked_session_file_is_never_followed_by_remove_or_purge() {
    let (tmp, config, victim) = planted();
    let store = tmp.path().join("sessions");
    // remove: the link goes, the file it names stays.
    config.driver().remove("link").unwrap();
    assert!(!store.join("cgisess_link").exists() && !is_symlink(&store.join("cgisess_link")));
    assert!(
        config.peek(&victim).unwrap().is_some(),
        "the victim survives a remove"
    );
    // new over a symlink: a fresh id; the link's target untouched (t/symlink_file.t).
    let fresh = config.new_session(Some("outside")).unwrap();
    assert_ne!(fresh.id().as_deref(), Some("outside"));
    drop(fresh);
    assert_eq!(
        fs::read(tmp.path().join("outside")).unwrap(),
        b"not a session"
    );
    // purge: links are removed, never their targets (the victim has not expired).
    symlink(
        store.join(format!("cgisess_{victim}")),
        store.join("cgisess_link"),
    )
    .unwrap();
    config.purge(PurgeOptions::default(), &|_| {}).unwrap();
    assert!(
        !is_symlink(&store.join("cgisess_link")),
        "purge removed the link"
    );
    assert!(
        config.peek(&victim).unwrap().is_some(),
        "the victim survives a purge"
    );
    assert_eq!(
        fs::read(tmp.path().join("outside")).unwrap(),
        b"not a session"
    );
}

#[test]
fn a_symlinked_directory_is_followed_as_perl_does() {
    // Directory is configuration, not client input: a link to the real store works,
    // as with Perl (lint reports the real directory's mode).
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    symlink(&real, tmp.path().join("link")).unwrap();
    let mut session = config(&tmp.path().join("link")).new_session(None).unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();
    assert!(real.join(format!("cgisess_{id}")).is_file());
}
