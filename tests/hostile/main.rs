//! Hostile stored data (issue 7): the catalogue in `catalogue.rs` meets every
//! serializer, `auto` included, through the public API — a serializer's `thaw`, and a
//! session load of a planted record. Each hostile record gives an error that names
//! the problem (and, for a syntax error, the byte offset), or inert data where Perl
//! reads it too; nothing runs, panics, hangs or overflows the stack.
//!
//! Hang-prone constructions (deep nesting, YAML alias bombs, huge counts) are bounded
//! by design and asserted on sizes and errors, not on time. Allocation bounds are
//! checked apart, in `tests/hostile_alloc.rs`, over the same catalogue.

#[path = "../common/mod.rs"]
mod common;

mod catalogue;
mod sessions;

use std::collections::BTreeMap;
use std::path::Path;

use cgi_session::{registry, serializers, Args, Config, Error, Serializer, Value};

use cgi_session_test_support::on_small_stack;

use catalogue::{canary, catalogue, truncation_seeds, yaml_bomb, Case, Expect, FORMATS};

fn serializer(name: &str) -> std::sync::Arc<dyn Serializer> {
    registry::serializer(name, name).unwrap()
}

/// The record, for a failure message: its first bytes.
fn shown(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(80)];
    format!("{} ({} bytes)", head.escape_ascii(), bytes.len())
}

/// Whether `result` is what `case` expects; why not, if not.
fn check(case: &Case, result: &Result<Value, serializers::Error>) -> Result<(), String> {
    match (&case.expect, result) {
        (Expect::Refused(needle), Err(e)) => {
            let text = e.to_string();
            if let serializers::Error::Syntax { offset, .. } = e {
                if *offset > case.bytes.len() {
                    return Err(format!("offset {offset} past the end: {text}"));
                }
            }
            if !text.to_lowercase().contains(needle) {
                return Err(format!("the error does not say {needle:?}: {text}"));
            }
            Ok(())
        }
        (Expect::Reads(want), Ok(got)) if got == want => Ok(()),
        (_, other) => Err(format!("got {:.300}", format!("{other:?}"))),
    }
}

#[test]
fn every_hostile_record_is_refused_or_inert_in_its_serializer_and_in_auto() {
    on_small_stack(|| {
        let auto = serializer("auto");
        let mut tried: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut failures = Vec::new();
        for case in catalogue() {
            let own = serializer(case.serializer);
            let mut readers = vec![own];
            if FORMATS.contains(&case.serializer) && serializers::sniff(&case.bytes).is_some() {
                readers.push(auto.clone());
            }
            for reader in readers {
                *tried.entry((reader.name(), case.kind)).or_default() += 1;
                if let Err(why) = check(&case, &reader.thaw(&case.bytes)) {
                    failures.push(format!(
                        "{} {}: {}: {why}",
                        reader.name(),
                        case.kind,
                        shown(&case.bytes)
                    ));
                }
            }
        }
        assert!(!canary().exists(), "a payload ran");
        let total: usize = tried.values().sum();
        eprintln!("hostile catalogue: {total} records tried");
        for ((serializer, kind), n) in &tried {
            eprintln!("  {serializer:10} {kind:20} {n}");
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    });
}

/// Every hostile record the catalogue refuses, planted in a file store under the
/// serializer's DSN and loaded as a session: the error names the session, and the
/// byte offset when the record is malformed.
#[test]
fn a_planted_hostile_record_fails_the_load_naming_the_session() {
    on_small_stack(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut planted = 0;
        for (n, case) in catalogue().iter().enumerate() {
            if !matches!(case.expect, Expect::Refused(_)) {
                continue;
            }
            let id = format!("hostile{n}");
            let config = plant(dir.path(), case.serializer, &id, &case.bytes);
            planted += 1;
            match config.load(Some(&id)) {
                Err(e @ Error::Thaw { .. }) => {
                    let text = e.to_string();
                    assert!(text.contains(&format!("{id:?}")), "{text}");
                    if let Error::Thaw {
                        source: serializers::Error::Syntax { .. },
                        ..
                    } = e
                    {
                        assert!(text.contains("at byte"), "{text}");
                    }
                }
                // An empty record is no session at all, as in Perl (spec §2.3 step 7).
                Ok(s) if case.bytes.is_empty() => assert!(s.id().is_none()),
                other => panic!(
                    "{id} {}: {}: {other:?}",
                    case.serializer,
                    shown(&case.bytes)
                ),
            }
        }
        assert!(!canary().exists(), "a payload ran");
        eprintln!("hostile records planted and loaded: {planted}");
    });
}

/// The store of `serializer` in `dir`, holding `bytes` as the record of `id`: a file
/// store, or for Ruby's formats (which go with their own drivers only) the Ruby store
/// of that name, its file private to us as Ruby writes it.
fn plant(dir: &Path, serializer: &str, id: &str, bytes: &[u8]) -> Config {
    let (config, name) = match serializer {
        "ruby_filestore" | "ruby_pstore" => {
            let prefix = if serializer == "ruby_filestore" {
                "cgi_sid_"
            } else {
                ""
            };
            let args = Args::from([("tmpdir".into(), dir.display().to_string())]);
            let dsn = format!("driver:{serializer}");
            let name = format!("{prefix}{}", cgi_session::drivers::ruby::id_digest(id));
            (Config::new(Some(&dsn), args).unwrap(), name)
        }
        _ => (file_config(dir, serializer), format!("cgisess_{id}")),
    };
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    config
}

fn file_config(dir: &Path, serializer: &str) -> Config {
    Config::new(
        Some(&format!("driver:file;serializer:{serializer}")),
        Args::from([("Directory".into(), dir.display().to_string())]),
    )
    .unwrap()
}

/// Whether `v` would load as a session: a hash with a defined `_SESSION_ID`.
fn is_session(v: &Value) -> bool {
    matches!(v, Value::Hash(h) if h.get(&"_SESSION_ID".into()).is_some_and(|id| !id.is_undef()))
}

/// Every realistic record of every serializer (Perl's fixtures), cut at every byte and
/// read by its serializer and by `auto`: an error, data that is not a session (a load
/// refuses it), or the original session. Never a panic. Two formats let a prefix be a
/// complete record, and Perl reads those prefixes just as we do:
/// * Data::Dumper: a cut right after the main statement (`$D = {...}` or `...;`), or
///   after any statement when a `$D` statement follows (`...;$D`), drops the fix-up
///   statements after it, which rebuild shared references; the session loads with
///   their placeholders (the same cuts of a record without fix-ups are the 3.x form,
///   and give the original session: `sessions.rs`);
/// * YAML: no end marker, so a cut at the end of a line, or inside a plain scalar,
///   is a shorter document (see [`yaml_prefixes_read_as_perl_reads_them`]).
#[test]
fn every_truncation_of_every_fixture_is_refused_or_the_same_session() {
    on_small_stack(|| {
        let auto = serializer("auto");
        let mut tried = BTreeMap::<&str, usize>::new();
        let mut prefix_sessions = BTreeMap::<&str, usize>::new();
        for (name, label, whole) in truncation_seeds() {
            let own = serializer(name);
            let original = own.thaw(&whole).unwrap_or_else(|e| panic!("{label}: {e}"));
            let main_statement_end = find(&whole, b"};$D->").map(|at| at + 1);
            for cut in 0..whole.len() {
                let bytes = &whole[..cut];
                for reader in [&own, &auto] {
                    *tried.entry(name).or_default() += 1;
                    let v = match reader.thaw(bytes) {
                        Err(serializers::Error::Syntax { offset, .. }) => {
                            assert!(offset <= cut, "{label} cut {cut}: offset {offset}");
                            continue;
                        }
                        Err(serializers::Error::Unsupported { message, .. }) => {
                            assert!(!message.is_empty());
                            continue;
                        }
                        Ok(v) => v,
                    };
                    if v == original || !is_session(&v) {
                        continue;
                    }
                    *prefix_sessions.entry(name).or_default() += 1;
                    let allowed = match name {
                        "default" => {
                            main_statement_end.is_some_and(|end| [end, end + 1].contains(&cut))
                                || bytes.ends_with(b";$D")
                        }
                        "yaml" => true,
                        _ => false,
                    };
                    assert!(allowed, "{label} cut {cut} by {}: {v:.300?}", reader.name());
                }
            }
        }
        let total: usize = tried.values().sum();
        eprintln!("hostile truncations: {total} cut records read ({tried:?})");
        eprintln!("  prefixes that read as another session: {prefix_sessions:?}");
    });
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The prefixes of a record that read as another session, in the two formats that
/// have them, are mostly the same sessions to Perl 4.48: a record cut short hurts a
/// Perl reader as it hurts us (the figures are printed for RELIABILITY.md).
#[test]
fn yaml_prefixes_read_as_perl_reads_them() {
    let Some(oracle) = common::Oracle::get() else {
        return;
    };
    let (mut compared, mut same, mut perl_refuses) = (0, 0, 0);
    for (set, name, id) in [
        ("file-yaml", "yaml", "fx_basic"),
        ("file-default", "default", "fx_objects"),
    ] {
        let whole = common::fixtures::raw(set, id);
        let ours = serializer(name);
        let original = ours.thaw(&whole).unwrap();
        for cut in 0..whole.len() {
            let Ok(v) = ours.thaw(&whole[..cut]) else {
                continue;
            };
            if v == original || !is_session(&v) {
                continue;
            }
            compared += 1;
            match oracle.thaw_value(name, &whole[..cut]) {
                Ok(perl) if perl == v => same += 1,
                // Syck reads a few cut lines its own way (`key:\n  -` at the end is the
                // string "-" to Syck, `[undef]` to us)...
                Ok(perl) => assert!(is_session(&perl), "{set}/{id} cut {cut}: Perl {perl:?}"),
                // ...and its parser refuses some cuts at the end of input that a YAML
                // reader takes (`- 1\n  -`): there Perl is the safer of the two.
                Err(_) => perl_refuses += 1,
            }
        }
    }
    eprintln!(
        "prefixes we read as another session: {compared}; Perl reads the same data from \
         {same}, and refuses {perl_refuses}"
    );
    assert!(compared > 10 && same * 2 > compared, "{same} of {compared}");
}

/// A billion-laughs YAML record: aliases share what they name, so reading costs what
/// the text costs, and writing it back writes each level once.
#[test]
fn a_yaml_alias_bomb_is_read_as_shared_data() {
    let text = yaml_bomb();
    for reader in [serializer("yaml"), serializer("auto")] {
        let v = reader.thaw(&text).unwrap();
        assert!(v["l39"][0].same_ref(&v["l38"]));
        let again = serializer("yaml").freeze(&v).unwrap();
        assert!(again.len() < 2 * text.len(), "{} bytes", again.len());
    }
}

/// Perl's `load` takes the stored `_SESSION_ID` as the session's id whatever id found
/// the record (spec §2.3 step 8, quirk 11); we do too. A record naming another id thus
/// loads as that session — and one naming a path is refused when written back.
#[test]
fn a_record_naming_another_id_loads_as_that_id_as_in_perl() {
    let dir = tempfile::tempdir().unwrap();
    let config = file_config(dir.path(), "default");
    std::fs::write(
        dir.path().join("cgisess_planted"),
        "$D = {'_SESSION_ID' => 'victim','_SESSION_ATIME' => 1,'_SESSION_CTIME' => 1,'a' => 1};;$D",
    )
    .unwrap();
    let session = config.load(Some("planted")).unwrap();
    assert_eq!(session.id().as_deref(), Some("victim"));
    drop(session);
    for (id, escape) in [("dots", "../escaped"), ("slash", "a/b"), ("nul", "a\\0b")] {
        std::fs::write(
            dir.path().join(format!("cgisess_{id}")),
            format!("$D = {{'_SESSION_ID' => \"{escape}\",'_SESSION_ATIME' => 1,'_SESSION_CTIME' => 1}};;$D"),
        )
        .unwrap();
        let mut session = config.load(Some(id)).unwrap();
        session.set_param("x", 1).unwrap();
        assert!(session.flush().is_err(), "{id}: flushed to {escape:?}");
    }
    assert!(!dir
        .path()
        .parent()
        .unwrap()
        .join("cgisess_../escaped")
        .exists());
    assert!(!dir.path().join("cgisess_a").exists());
}
