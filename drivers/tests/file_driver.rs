//! The file driver against the file system: modes, symlinks, traversal, invalid ids,
//! creation races and locking (spec §5.2).

mod common;

use std::fs;
use std::ops::ControlFlow;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use cgi_session_drivers::{Driver, Error};
use common::{args, driver_in, hold_lock, listed_ids, mode_of, HOLD};

#[test]
fn files_get_the_umask_option_less_the_process_umask() {
    // The process umask is global and changing it needs unsafe code, so this test runs
    // `umask_022_child` in a child process started under `umask 022`.
    let dir = tempfile::tempdir().unwrap();
    common::run_umask_022_child(dir.path());
    let sessions = dir.path().join("parent/sessions");
    // spec §5.2: mode = UMask & ~umask; with 022, the default 0660 gives 0640.
    for (id, want) in [
        ("default", 0o640),
        ("u0600", 0o600),
        ("u0666", 0o644),
        ("u432", 0o640),
    ] {
        assert_eq!(
            mode_of(&sessions.join(format!("cgisess_{id}"))),
            want,
            "{id}"
        );
    }
    // Missing parents get mkpath's 0777 & ~umask; the session directory UMask's
    // access plus search, so other users cannot list the ids.
    assert_eq!(mode_of(&sessions), 0o750);
    assert_eq!(mode_of(&dir.path().join("parent")), 0o755);
}

#[test]
#[ignore = "run by files_get_the_umask_option_less_the_process_umask under umask 022"]
fn umask_022_child() {
    let Some(dir) = common::umask_child_dir() else {
        return;
    };
    let sessions = dir.join("parent/sessions");
    driver_in(&sessions, &[]).store("default", b"x").unwrap();
    for (id, umask) in [("u0600", "0600"), ("u0666", "0o666"), ("u432", "432")] {
        driver_in(&sessions, &[("UMask", umask)])
            .store(id, b"x")
            .unwrap();
    }
}

#[test]
fn existing_files_keep_their_mode() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[("UMask", "0600")]);
    d.store("s", b"one").unwrap();
    let path = d.path_for("s").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o604)).unwrap();
    d.store("s", b"two").unwrap();
    assert_eq!(mode_of(&path), 0o604);
}

#[test]
fn loading_through_a_symlink_to_another_session_removes_the_link() {
    // t/symlink_file.t, part 1: the linked id reads as "not found", the link is gone,
    // and the real session is untouched.
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("real", b"secret data").unwrap();
    let link = d.path_for("link").unwrap();
    symlink(d.path_for("real").unwrap(), &link).unwrap();

    assert_eq!(d.retrieve("link").unwrap(), None);
    assert!(fs::symlink_metadata(&link).is_err(), "symlink was removed");
    assert_eq!(d.retrieve("real").unwrap().unwrap(), b"secret data");
    // A new session under the freed id is a regular file of its own.
    d.store("link", b"new").unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().is_file());
    assert_eq!(d.retrieve("real").unwrap().unwrap(), b"secret data");
}

#[test]
fn flushing_over_a_symlink_replaces_it_with_a_regular_file() {
    // t/symlink_file.t, part 2: a session file replaced by a symlink.
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    let target = dir.path().join("victim");
    fs::write(&target, b"not yours").unwrap();
    d.store("s", b"old").unwrap();
    let path = d.path_for("s").unwrap();
    fs::remove_file(&path).unwrap();
    symlink(&target, &path).unwrap();

    d.store("s", b"new").unwrap();
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(fs::read(&path).unwrap(), b"new");
    assert_eq!(fs::read(&target).unwrap(), b"not yours");
}

#[test]
fn dangling_symlink_is_not_found_and_left_alone_by_retrieve() {
    // spec §5.2 retrieve step 1: `-e` is false, so Perl returns before `-l`.
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    let path = d.path_for("dangling").unwrap();
    symlink(dir.path().join("nowhere"), &path).unwrap();
    assert_eq!(d.retrieve("dangling").unwrap(), None);
    assert!(fs::symlink_metadata(&path).is_ok());
    // store removes it and writes a regular file; the target is not created.
    d.store("dangling", b"data").unwrap();
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn traverse_skips_dangling_symlinks_directories_and_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    for id in ["a", "b.c", "with space"] {
        d.store(id, b"x").unwrap();
    }
    // Perl aborts the whole walk on this entry (spec §4.1); we skip it.
    symlink(dir.path().join("gone"), dir.path().join("cgisess_dangling")).unwrap();
    fs::create_dir(dir.path().join("cgisess_adir")).unwrap();
    fs::write(dir.path().join("cgisess_"), b"x").unwrap();
    fs::write(dir.path().join("other_x"), b"x").unwrap();
    // A symlink to a regular file is listed, as Perl's stat follows it.
    symlink(d.path_for("a").unwrap(), dir.path().join("cgisess_alias")).unwrap();
    assert_eq!(listed_ids(&d), ["a", "alias", "b.c", "with space"]);
}

#[test]
fn traverse_uses_a_custom_file_name_template() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[("FileName", "%s.dat")]);
    d.store("one", b"x").unwrap();
    d.store("two.v2", b"x").unwrap();
    assert!(dir.path().join("one.dat").is_file());
    // `.` in the template is literal, as Perl escapes it.
    fs::write(dir.path().join("threeXdat"), b"x").unwrap();
    fs::write(dir.path().join("cgisess_four"), b"x").unwrap();
    fs::write(dir.path().join(".dat"), b"x").unwrap();
    assert_eq!(listed_ids(&d), ["one", "two.v2"]);
    // The default-template driver sees only its own files in the same directory.
    assert_eq!(listed_ids(&driver_in(dir.path(), &[])), ["four"]);
}

#[test]
fn traverse_stops_on_break_and_lets_the_callback_use_the_driver() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    for id in ["a", "b", "c", "d"] {
        d.store(id, id.as_bytes()).unwrap();
    }
    let mut visited = 0;
    d.traverse(&mut |id| {
        visited += 1;
        assert_eq!(d.retrieve(id).unwrap().unwrap(), id.as_bytes());
        d.remove(id).unwrap();
        if visited == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(visited, 2);
    assert_eq!(listed_ids(&d).len(), 2);
}

#[test]
fn traverse_of_an_unreadable_directory_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(&dir.path().join("s"), &[]);
    fs::remove_dir(dir.path().join("s")).unwrap();
    let err = d.traverse(&mut |_| ControlFlow::Continue(())).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("traverse(): couldn't open '"), "{text}");
    assert!(text.contains("/s'"), "{text}");
}

#[test]
fn invalid_ids_are_not_found_on_read_and_refused_on_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    // A file Perl's unchecked sprintf would reach for "../x" must stay untouched.
    fs::write(dir.path().join("cgisess_..%2fx"), b"x").unwrap();
    for id in ["../x", "a/b", "..\\x", "a\\b", "", "nul\0byte"] {
        assert_eq!(d.retrieve(id).unwrap(), None, "{id:?}");
        let err = d.store(id, b"data").unwrap_err();
        assert!(
            matches!(err, Error::InvalidId { op: "store", .. }),
            "{id:?}: {err}"
        );
        let err = d.remove(id).unwrap_err();
        assert!(
            matches!(err, Error::InvalidId { op: "remove", .. }),
            "{id:?}: {err}"
        );
    }
    assert_eq!(
        d.store("a/b", b"x").unwrap_err().to_string(),
        "store(): session id \"a/b\" is not valid here: session ids cannot contain \\ or / characters"
    );
    // Everything else Perl allows is allowed (spec §5.2): dots, spaces, %, :, UTF-8.
    for id in ["..", "a b", "100%", "a:b", "ünï"] {
        d.store(id, b"ok").unwrap();
        assert_eq!(d.retrieve(id).unwrap().unwrap(), b"ok", "{id:?}");
        d.remove(id).unwrap();
    }
    // A name longer than NAME_MAX: Perl's stat fails, so "not found"; store errs.
    let long = "x".repeat(300);
    assert_eq!(d.retrieve(&long).unwrap(), None);
    assert!(matches!(
        d.store(&long, b"x"),
        Err(Error::Io { op: "store", .. })
    ));
}

#[test]
fn removing_a_missing_session_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.remove("never-stored").unwrap();
    d.store("s", b"x").unwrap();
    d.remove("s").unwrap();
    d.remove("s").unwrap();
    assert_eq!(d.retrieve("s").unwrap(), None);
}

#[test]
fn concurrent_creators_of_one_id_both_succeed() {
    // spec §5.2 store step 3: in Perl the loser of the O_EXCL race fails its flush.
    let dir = tempfile::tempdir().unwrap();
    let d = Arc::new(driver_in(dir.path(), &[]));
    const WRITERS: usize = 4;
    for round in 0..150 {
        let id = format!("race{round}");
        let barrier = Arc::new(Barrier::new(WRITERS));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (d, id, barrier) = (d.clone(), id.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    d.store(&id, format!("writer {w}").as_bytes())
                })
            })
            .collect();
        for w in writers {
            w.join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
        let data = d.retrieve(&id).unwrap().unwrap();
        assert!(data.starts_with(b"writer ") && data.len() == 8, "{data:?}");
    }
}

#[test]
fn retrieve_waits_for_an_exclusive_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("s", b"data").unwrap();
    let (locked_at, holder) = hold_lock(&d.path_for("s").unwrap(), true, HOLD);
    assert_eq!(d.retrieve("s").unwrap().unwrap(), b"data");
    assert!(
        locked_at.elapsed() >= HOLD,
        "retrieve returned while LOCK_EX was held"
    );
    holder.join().unwrap();
}

#[test]
fn store_waits_for_a_shared_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("s", b"old").unwrap();
    let (locked_at, holder) = hold_lock(&d.path_for("s").unwrap(), false, HOLD);
    d.store("s", b"new").unwrap();
    assert!(
        locked_at.elapsed() >= HOLD,
        "store returned while LOCK_SH was held"
    );
    holder.join().unwrap();
    assert_eq!(d.retrieve("s").unwrap().unwrap(), b"new");
}

#[test]
fn readers_share_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[]);
    d.store("s", b"data").unwrap();
    let (_, holder) = hold_lock(&d.path_for("s").unwrap(), false, HOLD);
    assert_eq!(d.retrieve("s").unwrap().unwrap(), b"data");
    let done_at = Instant::now();
    assert!(
        done_at < holder.join().unwrap(),
        "LOCK_SH waited for LOCK_SH"
    );
}

#[test]
fn no_flock_takes_no_locks() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver_in(dir.path(), &[("NoFlock", "1")]);
    assert!(d.no_flock());
    d.store("s", b"data").unwrap();
    let (_, holder) = hold_lock(&d.path_for("s").unwrap(), true, HOLD);
    assert_eq!(d.retrieve("s").unwrap().unwrap(), b"data");
    d.store("s", b"more").unwrap();
    let done_at = Instant::now();
    assert!(
        done_at < holder.join().unwrap(),
        "NoFlock waited for a lock"
    );
}

#[test]
fn bad_arguments_name_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    for (name, value) in [
        ("UMask", "rw-rw----"),
        ("UMask", "660"),
        ("NoFlock", "false"),
        ("FileName", "sess"),
    ] {
        let err = cgi_session_drivers::FileDriver::from_args(&args(&[
            ("Directory", dir_arg),
            (name, value),
        ]))
        .unwrap_err();
        assert!(
            matches!(&err, Error::BadArg { name: n, .. } if n == name),
            "{name}={value}: {err}"
        );
    }
}
