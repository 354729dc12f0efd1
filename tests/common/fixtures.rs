//! The Perl-written fixtures in `compat-fixtures/` (see its README.md): raw
//! records as Perl 4.48 stored them, and what Perl reads back from each.

use std::path::{Path, PathBuf};

use cgi_session::{registry, Driver};
use serde_json::Value as Json;

use super::typed::{first_difference, to_typed, without_safe_regexp_class};
use super::Oracle;

/// The fixture root, `compat-fixtures/`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat-fixtures")
}

/// One fixture set: a directory of session files in the file driver's layout
/// (`cgisess_<id>`), with `expected/<id>.json` beside them.
pub fn dir(set: &str) -> PathBuf {
    root().join(set)
}

/// The session ids in a set, sorted, from its `expected/` files.
pub fn ids(set: &str) -> Vec<String> {
    let expected = dir(set).join("expected");
    let mut ids: Vec<String> = std::fs::read_dir(&expected)
        .unwrap_or_else(|e| panic!("{}: {e}", expected.display()))
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .filter_map(|name| name.strip_suffix(".json").map(String::from))
        .collect();
    ids.sort();
    ids
}

/// The typed JSON of what Perl's thaw gives for session `id` of `set`.
pub fn expected(set: &str, id: &str) -> Json {
    let path = dir(set).join("expected").join(format!("{id}.json"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The raw record of session `id` of `set`, as Perl wrote it.
pub fn raw(set: &str, id: &str) -> Vec<u8> {
    let path = dir(set).join(format!("cgisess_{id}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts that `driver` holds exactly the records of the Perl-written store fixture
/// `set` (a `db_file` database, a SQLite file, ...) and that each, thawed with
/// `serializer`, is the data Perl read from it.
pub fn assert_store_holds_set(driver: &dyn Driver, set: &str, serializer: &str) {
    let ids = ids(set);
    assert!(
        ids.len() >= 8,
        "{set}: run `perl compat-fixtures/generate.pl`"
    );
    assert_eq!(
        super::listed_ids(driver),
        ids,
        "{set}: the store holds the expected ids"
    );
    let codec = registry::serializer(serializer, serializer).unwrap();
    for id in &ids {
        let bytes = driver
            .retrieve(id)
            .unwrap_or_else(|e| panic!("{set}/{id}: {e}"))
            .unwrap_or_else(|| panic!("{set}/{id}: not found"));
        let value = codec
            .thaw(&bytes)
            .unwrap_or_else(|e| panic!("{set}/{id}: {e}"));
        let want = without_safe_regexp_class(&expected(set, id));
        if let Some(diff) = first_difference(&to_typed(&value), &want) {
            panic!("{set}/{id}: {diff}");
        }
    }
}

/// Rewrites every record of store fixture `set` through Rust (`rewritten`, a copy of
/// the store opened with `rewritten_args`: thaw, freeze, store) and asserts that Perl
/// loads each (read-only) as the same data as from the untouched copy at
/// `original_args`.
pub fn assert_perl_loads_rewrites(
    oracle: &Oracle,
    dsn: &str,
    set: &str,
    serializer: &str,
    rewritten: &dyn Driver,
    rewritten_args: &Json,
    original_args: &Json,
) {
    let codec = registry::serializer(serializer, serializer).unwrap();
    for id in ids(set) {
        let value = codec
            .thaw(&rewritten.retrieve(&id).unwrap().unwrap())
            .unwrap();
        rewritten
            .store(&id, &codec.freeze(&value).unwrap())
            .unwrap();
        let want = oracle.load(dsn, original_args, &id, true).unwrap();
        let got = oracle.load(dsn, rewritten_args, &id, true).unwrap();
        assert!(!got.is_empty, "{set}/{id}: Perl found nothing");
        if let Some(diff) = first_difference(
            &without_safe_regexp_class(&got.data),
            &without_safe_regexp_class(&want.data),
        ) {
            panic!("{set}/{id}: Perl reads Rust's rewrite differently at {diff}");
        }
    }
}
