//! The Ruby oracle: Ruby 3.1's own CGI::Session (FileStore and PStore) driven through
//! `tests/oracle/ruby_session.rb`, so that Rust's Ruby stores are judged by Ruby.

use std::path::{Path, PathBuf};
use std::process::Command;

use cgi_session::Value;
pub use cgi_session_test_support::ruby_has_cgi_session as ruby_usable;
use cgi_session_test_support::run;

/// Ruby's two file stores, as the DSN and the oracle name them.
#[derive(Debug, Clone, Copy)]
pub enum Store {
    FileStore,
    PStore,
}

pub const STORES: [Store; 2] = [Store::FileStore, Store::PStore];

impl Store {
    pub fn dsn(self) -> &'static str {
        match self {
            Store::FileStore => "driver:ruby_filestore",
            Store::PStore => "driver:ruby_pstore",
        }
    }

    pub fn oracle_name(self) -> &'static str {
        match self {
            Store::FileStore => "filestore",
            Store::PStore => "pstore",
        }
    }
}

pub fn oracle_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/ruby_session.rb")
}

/// The oracle's `command` on session `id` of `store` in `dir`, with `extra` options
/// and `stdin`; its output.
pub fn ruby(
    store: Store,
    dir: &Path,
    id: &str,
    command: &str,
    extra: &[&str],
    stdin: &str,
) -> String {
    let mut ruby = Command::new("ruby");
    ruby.arg(oracle_script())
        .arg(command)
        .args(["--store", store.oracle_name(), "--id", id])
        .arg("--tmpdir")
        .arg(dir)
        .args(extra);
    String::from_utf8(run(&mut ruby, stdin.as_bytes())).expect("UTF-8 oracle output")
}

/// Asserts that Ruby reads the session `id` with the values of the Ruby literal `want`.
pub fn assert_ruby_reads(store: Store, dir: &Path, id: &str, want: &str) {
    let verdict = ruby(store, dir, id, "check", &[], want);
    assert_eq!(verdict, "ok\n", "{store:?}: Ruby disagrees");
}

/// A Ruby Symbol as the marshal module maps it: `bless(\"name", 'Ruby::Symbol')`.
pub fn symbol(name: &str) -> Value {
    Value::blessed("Ruby::Symbol", Value::scalar_ref(Value::from(name)))
}

/// Ruby's `true`/`false` as the marshal module maps them (Perl's JSON booleans).
pub fn boolean(truth: bool) -> Value {
    Value::blessed(
        "JSON::PP::Boolean",
        Value::scalar_ref(Value::Int(truth.into())),
    )
}
