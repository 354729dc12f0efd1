//! Records Perl 4.48 wrote (`compat-fixtures/`, see its README.md) read by Rust as
//! Perl reads them, and Rust's rewrite of each read by Perl as the same data.
//!
//! Rust's view and Perl's are compared as typed JSON (`tests/oracle/README.md`), so
//! integer vs string, bytes vs characters, blessing and sharing must all agree.

mod common;

use std::ops::ControlFlow;

use std::sync::Arc;

use cgi_session::registry;
use cgi_session_drivers::{Driver, FileDriver};
use cgi_session_idgen::{IdGenerator, Incr};
use cgi_session_serializers::{Serializer, Value};
use common::typed::{first_difference, try_from_typed, without_safe_regexp_class};
use common::{fixtures, to_typed, Oracle};

/// Sets whose every record Rust must read, with the serializer that wrote them;
/// `file-default-cyclic` is tested apart.
const READABLE_SETS: &[(&str, &str)] = &[
    ("file-default", "default"),
    ("incr", "default"),
    ("file-storable", "storable"),
    ("file-freezethaw", "freezethaw"),
    ("file-yaml", "yaml"),
    ("file-json", "json"),
];

/// The serializer that wrote `set`.
fn serializer_of(set: &str) -> Arc<dyn Serializer> {
    let name = READABLE_SETS
        .iter()
        .chain([("file-default-cyclic", "default")].iter())
        .find(|(s, _)| *s == set)
        .map(|(_, name)| *name)
        .unwrap_or_else(|| panic!("{set}: no serializer listed"));
    registry::serializer(name, name).unwrap_or_else(|e| panic!("{set}: {e}"))
}

fn driver_for(set: &str) -> FileDriver {
    let dir = fixtures::dir(set);
    let args = [(
        "Directory".to_string(),
        dir.to_str().expect("UTF-8 path").to_string(),
    )]
    .into();
    FileDriver::from_args(&args).expect("file driver on the fixture directory")
}

/// The record through the file driver, then the set's serializer's thaw.
fn rust_thaw(set: &str, id: &str) -> Result<Value, String> {
    let bytes = driver_for(set)
        .retrieve(id)
        .unwrap_or_else(|e| panic!("{set}/{id}: retrieve: {e}"))
        .unwrap_or_else(|| panic!("{set}/{id}: the file driver finds no record"));
    serializer_of(set).thaw(&bytes).map_err(|e| e.to_string())
}

/// Runs `check` on every fixture of the readable sets and reports every failure at once.
fn for_each_fixture(mut check: impl FnMut(&str, &str) -> Result<(), String>) {
    let mut failures = Vec::new();
    let mut count = 0;
    for (set, _) in READABLE_SETS {
        for id in fixtures::ids(set) {
            count += 1;
            if let Err(why) = check(set, &id) {
                failures.push(format!("{set}/{id}: {why}"));
            }
        }
    }
    assert!(
        count > 15 * READABLE_SETS.len(), // incr has only 3
        "only {count} fixtures found: run `perl compat-fixtures/generate.pl`"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every expected reading is typed JSON the Rust half understands, and writes back
/// unchanged: the fixtures test the serializer, not the notation.
#[test]
fn expected_readings_round_trip_through_value() {
    for_each_fixture(|set, id| {
        let want = fixtures::expected(set, id);
        let value = try_from_typed(&want)?;
        first_difference(&to_typed(&value), &want).map_or(Ok(()), Err)
    });
}

#[test]
fn rust_reads_every_fixture_as_perl_does() {
    for_each_fixture(|set, id| {
        // Perl's thaw blesses qr// into its Safe compartment (Safe::Root0::Regexp);
        // a plain regexp is the right reading.
        let want = without_safe_regexp_class(&fixtures::expected(set, id));
        let got = to_typed(&rust_thaw(set, id)?);
        first_difference(&got, &want).map_or(Ok(()), Err)
    });
}

/// What a purge reads of each Perl-written record (its `_SESSION_*` keys, through
/// the Data::Dumper fast path where it applies) is what the full reader gives.
#[test]
fn reserved_keys_read_alone_agree_with_the_whole_record() {
    const KEYS: &[&str] = &[
        "_SESSION_ID",
        "_SESSION_ATIME",
        "_SESSION_ETIME",
        "_SESSION_EXPIRE_LIST",
    ];
    for_each_fixture(|set, id| {
        let bytes = fixtures::raw(set, id);
        let serializer = serializer_of(set);
        let whole = serializer.thaw(&bytes).map_err(|e| e.to_string())?;
        let some = serializer
            .thaw_fields(&bytes, KEYS)
            .map_err(|e| e.to_string())?;
        for key in KEYS {
            let key = cgi_session::PerlString::from_text(key);
            let (a, b) = (
                whole.as_hash().and_then(|h| h.get(&key)),
                some.as_hash().and_then(|h| h.get(&key)),
            );
            if a != b {
                return Err(format!("{key:?}: whole {a:?}, alone {b:?}"));
            }
        }
        Ok(())
    });
}

#[test]
fn cyclic_records_are_refused_clearly() {
    let set = "file-default-cyclic";
    let ids = fixtures::ids(set);
    assert!(!ids.is_empty());
    for id in ids {
        assert!(
            try_from_typed(&fixtures::expected(set, &id)).is_err(),
            "{id}: Perl's reading should be cyclic"
        );
        match rust_thaw(set, &id) {
            Ok(value) => panic!("{set}/{id}: a cyclic record was read as {value:?}"),
            Err(why) => assert!(!why.is_empty(), "{set}/{id}: the error says why"),
        }
    }
}

/// Rust's rewrite of each record, read by Perl, is the data Perl read from Perl's own.
#[test]
fn perl_reads_rust_rewrites_as_the_same_data() {
    let Some(oracle) = Oracle::get() else { return };
    for_each_fixture(|set, id| {
        let serializer = serializer_of(set);
        let bytes = serializer
            .freeze(&rust_thaw(set, id)?)
            .map_err(|e| format!("freeze: {e}"))?;
        let perl = oracle.thaw_bytes(serializer.name(), &bytes).map_err(|e| {
            format!(
                "Perl cannot read Rust's record: {e}\n{}",
                String::from_utf8_lossy(&bytes)
            )
        })?;
        let want = without_safe_regexp_class(&fixtures::expected(set, id));
        first_difference(&without_safe_regexp_class(&perl), &want).map_or(Ok(()), Err)
    });
}

/// The driver finds exactly the fixtures that have an expected reading.
#[test]
fn traverse_lists_every_fixture() {
    for (set, _) in READABLE_SETS {
        let mut found = Vec::new();
        driver_for(set)
            .traverse(&mut |id| {
                found.push(id.to_string());
                ControlFlow::Continue(())
            })
            .expect("traverse");
        found.sort();
        assert_eq!(found, fixtures::ids(set), "{set}");
    }
}

/// Perl's IDFile (IDInit 1000, IDIncr 2, three ids drawn) continues in Rust.
#[test]
fn incr_id_file_continues_in_rust() {
    let dir = tempfile::tempdir().unwrap();
    let id_file = dir.path().join("cgisess.id");
    std::fs::copy(fixtures::dir("incr").join("cgisess.id"), &id_file).unwrap();
    assert_eq!(std::fs::read(&id_file).unwrap(), b"1006");
    let args = [
        ("IDFile".to_string(), id_file.to_str().unwrap().to_string()),
        ("IDInit".to_string(), "1000".to_string()),
        ("IDIncr".to_string(), "2".to_string()),
    ]
    .into();
    assert_eq!(Incr.generate(&args, None).unwrap(), "1008");
    assert_eq!(
        std::fs::read(&id_file).unwrap(),
        b"1008",
        "written back as Perl writes it"
    );
    assert_eq!(fixtures::ids("incr"), ["1002", "1004", "1006"]);
}
