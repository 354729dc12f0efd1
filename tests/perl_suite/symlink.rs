//! `t/symlink_file.t`: the file driver never follows a symlink planted where a
//! session file should be (spec §5.2, §8.1 item 4).

use std::os::unix::fs::symlink;

use cgi_session::Value;

use crate::{has_key, stored, Store};

fn is_symlink(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

#[test]
fn symlink_file_load_removes_the_link_and_flush_replaces_it() {
    let store = Store::new();
    let config = store.builder("driver:file;id:static").build().unwrap();
    let mut s = config.new_session(Some("symlink_session")).unwrap();
    assert_eq!(s.id().as_deref(), Some("symlink_session"));
    s.set_param("passthru", 1).unwrap();
    s.flush().unwrap();
    let path = store.file("symlink_session");
    let link = store.file("symlink_session_link");

    // retrieve: a session file that is a symlink to another session's file.
    symlink(&path, &link).unwrap();
    assert!(is_symlink(&link), "the symlink was created");
    let ns = config.new_session(Some("symlink_session_link")).unwrap();
    assert!(!is_symlink(&link), "we should have wiped out the symlink");
    assert_ne!(
        ns.param("passthru"),
        Some(&Value::Int(1)),
        "this session should be unique"
    );
    assert!(ns.is_new());
    drop(ns);
    assert!(
        link.is_file() && !is_symlink(&link),
        "the new session got its own regular file"
    );
    let original = stored(&config, "symlink_session");
    assert_eq!(
        original["passthru"],
        Value::Int(1),
        "the linked-to session is untouched"
    );
    std::fs::remove_file(&link).unwrap();

    // store: the session file swapped for a symlink to a moved copy.
    std::fs::rename(&path, &link).unwrap();
    symlink(&link, &path).unwrap();
    s.set_param("change", 1).unwrap();
    s.flush().expect("flush should wipe out the symlink");
    assert!(
        !is_symlink(&path),
        "original session file has been restored"
    );
    assert!(path.is_file());
    assert_eq!(stored(&config, "symlink_session")["change"], Value::Int(1));
    let moved = stored(&config, "symlink_session_link");
    assert!(
        !has_key(&moved, "change"),
        "the write did not go through the link"
    );
}
