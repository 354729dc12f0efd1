//! Hostile records met by a session load: a session Rust wrote, cut at every byte, and
//! records that thaw but are not sessions.

use std::path::Path;

use cgi_session::{Error, Value};

use super::file_config;

fn plant(dir: &Path, id: &str, record: &[u8]) {
    std::fs::write(dir.join(format!("cgisess_{id}")), record).unwrap();
}

#[test]
fn a_truncated_record_never_loads_as_a_session_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let config = file_config(dir.path(), "default");
    let mut session = config.new_session(None).unwrap();
    session
        .set_param(
            "cart",
            Value::array([
                Value::from("caf\u{e9}"),
                Value::blessed("X", Value::hash([("k", 1)])),
            ]),
        )
        .unwrap();
    session.expire_param("cart", "1h").unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();
    let path = dir.path().join(format!("cgisess_{id}"));
    let whole = std::fs::read(&path).unwrap();
    let stored = config.peek(&id).unwrap().unwrap();
    // Cutting off `;;$D`, `;$D` or `$D` leaves `$D = {...}`, `$D = {...};` or
    // `$D = {...};;`: complete statements (the 3.x form), which Perl loads too.
    // Every other cut must fail.
    let complete = [whole.len() - 4, whole.len() - 3, whole.len() - 2];
    for cut in 1..whole.len() {
        std::fs::write(&path, &whole[..cut]).unwrap();
        match config.peek(&id) {
            Err(Error::Thaw { .. }) => assert!(!complete.contains(&cut), "cut at {cut}"),
            Err(other) => panic!("cut at {cut}: unexpected error {other}"),
            Ok(data) if complete.contains(&cut) => assert_eq!(data, Some(stored.clone())),
            Ok(data) => panic!("cut at {cut} of {}: read {data:?}", whole.len()),
        }
    }
}

#[test]
fn records_that_are_not_sessions_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = file_config(dir.path(), "default");
    for (id, record) in [
        ("list", &b"$D = [1,2];;$D"[..]),
        ("noid", b"$D = {'a' => 1};;$D"),
        ("undefid", b"$D = {'_SESSION_ID' => undef};;$D"),
        ("scalar", b"$D = 'x';;$D"),
    ] {
        plant(dir.path(), id, record);
        match config.new_session(Some(id)) {
            Err(e @ Error::InvalidData { .. }) => assert!(e.to_string().contains(id), "{e}"),
            other => panic!("{id}: {other:?}"),
        }
    }
}
