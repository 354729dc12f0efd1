//! `serializer:auto` (Rust only): one store holding records Perl wrote with every
//! serializer reads through one `Config`, each record as Perl read it; what it writes
//! is in the default format, which Perl reads.

mod common;

use cgi_session::serializers::{sniff, Format};
use cgi_session::{registry, Args, Config, Value};
use common::typed::{first_difference, without_safe_regexp_class};
use common::{fixtures, to_typed};

/// Every Perl-written fixture of every `file-<serializer>` set, copied into one
/// directory as `cgisess_<serializer>.<id>`; gives (file id, set, fixture id).
fn mixed_store(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let mut copied = Vec::new();
    for format in Format::ALL {
        let set = format!("file-{}", format.serializer_name());
        for id in fixtures::ids(&set) {
            let name = format!("{}.{id}", format.serializer_name());
            std::fs::copy(
                fixtures::dir(&set).join(format!("cgisess_{id}")),
                dir.join(format!("cgisess_{name}")),
            )
            .unwrap();
            copied.push((name, set.clone(), id));
        }
    }
    copied
}

fn auto_config(dir: &std::path::Path) -> Config {
    Config::new(
        Some("driver:file;serializer:auto"),
        Args::from([("Directory".into(), dir.display().to_string())]),
    )
    .unwrap()
}

#[test]
fn every_perl_record_reads_through_one_config() {
    let dir = tempfile::tempdir().unwrap();
    let copied = mixed_store(dir.path());
    assert!(copied.len() > 80, "{} fixtures", copied.len());
    let config = auto_config(dir.path());
    assert_eq!(config.serializer().name(), "auto");
    let mut failures = Vec::new();
    for (name, set, id) in &copied {
        let data = config
            .peek(name)
            .unwrap()
            .unwrap_or_else(|| panic!("{name}"));
        // Perl's Safe compartment blesses qr// (tests/oracle/README.md).
        let want = without_safe_regexp_class(&fixtures::expected(set, id));
        if let Some(diff) = first_difference(&to_typed(&data), &want) {
            failures.push(format!("{name}: {diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn what_auto_writes_is_the_default_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = auto_config(dir.path());
    let mut session = config.new_session(None).unwrap();
    session.set_param("n", Value::Int(1)).unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();
    let bytes = std::fs::read(dir.path().join(format!("cgisess_{id}"))).unwrap();
    assert_eq!(sniff(&bytes), Some(Format::Dumper));

    // A program can pick the writer: json here, still reading everything.
    let json_writer = Config::builder(Some("driver:file"))
        .arg("Directory", dir.path().display().to_string())
        .serializer(registry::auto(
            registry::serializer("json", "json").unwrap(),
        ))
        .build()
        .unwrap();
    let mut session = json_writer.load(Some(&id)).unwrap();
    assert_eq!(session.param("n"), Some(&Value::Int(1)));
    session.set_param("m", Value::Int(2)).unwrap();
    session.flush().unwrap();
    let bytes = std::fs::read(dir.path().join(format!("cgisess_{id}"))).unwrap();
    assert_eq!(sniff(&bytes), Some(Format::Json));
}

#[test]
fn an_unknown_record_says_what_it_starts_with() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cgisess_odd"), b"<?xml version='1.0'?>").unwrap();
    let err = auto_config(dir.path()).peek("odd").unwrap_err().to_string();
    assert!(
        err.contains("unrecognised format (first bytes: 3c 3f 78 6d 6c"),
        "{err}"
    );
}
