//! The Perl-written fixtures in `compat-fixtures/` (see its README.md): raw
//! records as Perl 4.48 stored them, and what Perl reads back from each.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

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
