//! The SQLite files Perl 4.48 wrote (`compat-fixtures/sqlite/`, DBD::SQLite, the
//! records bound as BLOBs): Rust reads every row as Perl does, and Perl loads Rust's
//! rewrite of each as the same data.

use std::path::{Path, PathBuf};

use cgi_session::drivers::SqliteDriver;
use cgi_session::Args;
use serde_json::{json, Value as Json};

use crate::common::{fixtures, Oracle};

/// The Perl-written databases, with their serializers.
const SETS: &[(&str, &str)] = &[
    ("sqlite/default", "default"),
    ("sqlite/storable", "storable"),
];

/// A copy of a fixture database (loads write).
fn copy_of(set: &str, dir: &Path) -> PathBuf {
    let db = dir.join(set).join("sessions.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::copy(fixtures::dir(set).join("sessions.db"), &db).unwrap();
    db
}

fn args_json(db: &Path) -> Json {
    json!({ "DataSource": format!("dbi:SQLite:dbname={}", db.display()) })
}

fn driver(db: &Path) -> SqliteDriver {
    let args: Args = [(
        "DataSource".to_string(),
        format!("dbi:SQLite:dbname={}", db.display()),
    )]
    .into();
    SqliteDriver::from_args(&args).unwrap()
}

#[test]
fn rust_reads_every_row_of_perls_sqlite_fixtures_as_perl_does() {
    let tmp = tempfile::tempdir().unwrap();
    for (set, serializer) in SETS {
        fixtures::assert_store_holds_set(&driver(&copy_of(set, tmp.path())), set, serializer);
    }
}

#[test]
fn perl_loads_rust_rewrites_of_the_sqlite_fixtures_as_the_originals() {
    let Some(perl) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (set, serializer) in SETS {
        let original = copy_of(set, &tmp.path().join("original"));
        let rewritten = copy_of(set, &tmp.path().join("rewritten"));
        fixtures::assert_perl_loads_rewrites(
            &perl,
            &format!("driver:sqlite;serializer:{serializer}"),
            set,
            serializer,
            &driver(&rewritten),
            &args_json(&rewritten),
            &args_json(&original),
        );
    }
}
