//! Hostile stored data reaching a session load: code, truncation, deep nesting.
//! Each gives an error naming the session and the byte offset — never a panic, a hang,
//! a stack overflow, or anything executed.

use std::path::Path;

use cgi_session::{Args, Config, Error, Value};

fn config(dir: &Path) -> Config {
    Config::new(
        None,
        Args::from([("Directory".into(), dir.display().to_string())]),
    )
    .unwrap()
}

fn plant(dir: &Path, id: &str, record: &[u8]) {
    std::fs::write(dir.join(format!("cgisess_{id}")), record).unwrap();
}

fn thaw_error(config: &Config, id: &str) -> String {
    match config.load(Some(id)) {
        Err(e @ Error::Thaw { .. }) => e.to_string(),
        Err(other) => panic!("{id}: expected a thaw error, got {other}"),
        Ok(s) => panic!("{id}: hostile record loaded: {s:?}"),
    }
}

#[test]
fn code_in_a_dumper_record_is_refused_and_never_run() {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("canary");
    let touch = format!("touch {}", canary.display());
    let records = [
        format!("$D = {{'_SESSION_ID' => 'x','a' => system('{touch}')}};;$D"),
        format!("$D = {{'_SESSION_ID' => 'x','a' => `{touch}`}};;$D"),
        format!("$D = {{'_SESSION_ID' => 'x','a' => do {{ system('{touch}') }}}};;$D"),
        "$D = {'_SESSION_ID' => 'x','a' => sub { unlink 'x' }};;$D".to_string(),
        "BEGIN { system('id') } $D = {'_SESSION_ID' => 'x'};;$D".to_string(),
        "$D = {'_SESSION_ID' => 'x','a' => eval 'die'};;$D".to_string(),
        "$D = {'_SESSION_ID' => 'x','a' => require POSIX};;$D".to_string(),
        "$D = {'_SESSION_ID' => \"x@{[ system('id') ]}\"};;$D".to_string(),
        "$D = {'_SESSION_ID' => 'x'};system('id');$D".to_string(),
        "$D = {'_SESSION_ID' => 'x','a' => 'a' . 'b'};;$D".to_string(),
    ];
    let config = config(dir.path());
    for (i, record) in records.iter().enumerate() {
        let id = format!("code{i}");
        plant(dir.path(), &id, record.as_bytes());
        let err = thaw_error(&config, &id);
        assert!(err.contains(&format!("{id:?}")), "names the session: {err}");
        assert!(err.contains("at byte"), "names the offset: {err}");
    }
    assert!(!canary.exists(), "nothing was executed");
}

#[test]
fn a_truncated_record_never_loads_as_a_session_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
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
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    for (i, open) in ["[", "{'a' => ", "\\", "bless( ["].iter().enumerate() {
        let id = format!("deep{i}");
        let record = format!(
            "$D = {{'_SESSION_ID' => 'x','a' => {}",
            open.repeat(100_000)
        );
        plant(dir.path(), &id, record.as_bytes());
        let err = thaw_error(&config, &id);
        assert!(err.contains("deep") || err.contains("nest"), "{err}");
    }
}

#[test]
fn records_that_are_not_sessions_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
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
