//! Marshal streams and CGI::Session files Ruby 3.1 wrote (`compat-fixtures/ruby/`, made
//! by its `generate.rb`) read by Rust as the mapping says, and Rust's rewrite of each
//! equal to Ruby's bytes unless the fixture says why not.

mod common;

use std::path::PathBuf;

use cgi_session_serializers::{marshal, RubyFileStore, RubyPStore, Serializer, Value};
use common::typed::{first_difference, from_typed, to_typed};
use serde_json::Value as Json;

/// One fixture: its name, the bytes Ruby wrote, and its `.json` (`value`, and
/// `rewrite` when Rust's rewrite differs from Ruby's bytes).
struct Fixture {
    name: String,
    bytes: Vec<u8>,
    expected: Json,
}

fn fixtures(kind: &str, extension: &str) -> Vec<Fixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("compat-fixtures/ruby")
        .join(kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: run `ruby compat-fixtures/ruby/generate.rb`",
                dir.display()
            )
        })
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(format!("{name}{extension}"))).unwrap();
            let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
            Fixture {
                name,
                bytes,
                expected: serde_json::from_str(&text).unwrap(),
            }
        })
        .collect()
}

/// Runs `check` on every fixture and reports every failure at once.
fn for_each(fixtures: &[Fixture], check: impl Fn(&Fixture) -> Result<(), String>) {
    let failures: Vec<String> = fixtures
        .iter()
        .filter_map(|f| check(f).err().map(|why| format!("{}: {why}", f.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
}

/// Whether `got` is the expected value, and where not.
fn matches(got: &Value, expected: &Json) -> Result<(), String> {
    if *got == from_typed(expected) {
        return Ok(());
    }
    Err(first_difference(&to_typed(got), expected).unwrap_or_else(|| format!("{got:?}")))
}

#[test]
fn every_marshal_fixture_reads_as_the_mapping_says() {
    let all = fixtures("marshal", ".bin");
    assert!(all.len() > 100, "only {} marshal fixtures", all.len());
    for_each(&all, |f| {
        let got = marshal::load(&f.bytes).map_err(|e| e.to_string())?;
        matches(&got, &f.expected["value"])
    });
}

/// Rust writes Ruby's bytes for what it read, links included (so the sharing of the
/// `shared_*` fixtures was read as sharing); where a fixture says why not, the rewrite
/// differs and still reads back as the same value.
#[test]
fn every_marshal_fixture_is_rewritten_as_ruby_wrote_it_or_says_why_not() {
    let all = fixtures("marshal", ".bin");
    let mut exact = 0;
    for_each(&all, |f| {
        let value = marshal::load(&f.bytes).map_err(|e| e.to_string())?;
        let rewritten = marshal::dump(&value).map_err(|e| e.to_string())?;
        match f.expected.get("rewrite") {
            None if rewritten == f.bytes => Ok(()),
            None => Err(format!(
                "rewrite differs:\n ruby {}\n rust {}",
                f.bytes.escape_ascii(),
                rewritten.escape_ascii()
            )),
            Some(why) if rewritten == f.bytes => {
                Err(format!("the rewrite is exact, yet the fixture says {why}"))
            }
            Some(_) => matches(
                &marshal::load(&rewritten).map_err(|e| e.to_string())?,
                &f.expected["value"],
            ),
        }
    });
    for f in &all {
        exact += usize::from(f.expected.get("rewrite").is_none());
    }
    assert!(exact > 90, "only {exact} exact rewrites");
}

#[test]
fn shared_objects_read_as_one_value() {
    let all = fixtures("marshal", ".bin");
    let load = |name: &str| {
        let f = all.iter().find(|f| f.name == name).unwrap();
        marshal::load(&f.bytes).unwrap()
    };
    let array = load("shared_array");
    assert!(array[0].same_ref(&array[1]) && array[0].same_ref(&array[2][0]));
    let hash = load("shared_hash");
    assert!(hash["x"].same_ref(&hash["y"]));
    let object = load("shared_object");
    assert!(object[0].same_ref(&object[1]["o"]));
}

fn check_records(kind: &str, serializer: &dyn Serializer) {
    let all = fixtures(kind, "");
    assert!(all.len() >= 4, "only {} {kind} fixtures", all.len());
    for_each(&all, |f| {
        let record = serializer.thaw(&f.bytes).map_err(|e| e.to_string())?;
        matches(&record, &f.expected["value"])?;
        let rewritten = serializer.freeze(&record).map_err(|e| e.to_string())?;
        let back = serializer.thaw(&rewritten).map_err(|e| e.to_string())?;
        matches(&back, &f.expected["value"])
    });
}

#[test]
fn filestore_files_ruby_wrote_read_as_their_records() {
    check_records("filestore", &RubyFileStore);
}

#[test]
fn pstore_files_ruby_wrote_read_as_their_records() {
    check_records("pstore", &RubyPStore);
}

/// The Ruby formats are their own drivers' alone: `auto` reads none of their files.
#[test]
fn auto_reads_no_ruby_store_file() {
    let auto = cgi_session::registry::auto(std::sync::Arc::new(cgi_session_serializers::Dumper));
    for kind in ["filestore", "pstore"] {
        for f in fixtures(kind, "") {
            assert!(
                auto.thaw(&f.bytes).is_err() || f.bytes.is_empty(),
                "{kind}/{}",
                f.name
            );
        }
    }
    for name in ["ruby_filestore", "ruby_pstore"] {
        let serializer = cgi_session::registry::serializer(name, name).unwrap();
        assert_eq!(serializer.name(), name);
        assert!(serializer.id_from_store());
    }
}
