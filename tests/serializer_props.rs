//! Random session data through every serializer (issue 3):
//! * in Rust: what a freeze writes thaws, and what that reads writes again as a
//!   fixed point; the lossless formats give back exactly what went in;
//! * through Perl: Perl reads Rust's bytes as Rust reads them, and Rust reads what
//!   Perl writes back as Perl reads it — for every serializer Perl has.
//!
//! The data is what sessions hold: hashes keyed by byte and character strings,
//! integers, floats, byte strings, character strings (wide ones too), arrays,
//! nested hashes, scalar refs, blessed objects, regexps, and references shared
//! between places.

mod common;

use std::sync::Arc;

use cgi_session::registry;
use cgi_session_serializers::{PerlString, Regexp, Serializer, Value};
use common::typed::{first_difference, without_safe_regexp_class};
use common::{to_typed, Oracle};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunConfig, TestRng, TestRunner};

/// Serializers whose reading of their own output is the data frozen, exactly, but
/// for what [`as_stored`] says.
const LOSSLESS: &[&str] = &["storable"];

/// `v` as Storable stores it: like Perl, an integral float below 2^53 becomes an
/// integer (spec §7.2).
fn as_stored(v: &Value) -> Value {
    map_data(
        v,
        &|leaf| match leaf {
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                Value::Int(*f as i64)
            }
            other => other.clone(),
        },
        &PerlString::clone,
    )
}

/// Serializers under test: every one this build has, but the sniffing `auto`.
/// Every serializer of Perl data: not `auto`, nor Ruby's formats (whose records keep
/// no id; tests/compat_ruby_marshal.rs and tests/live_ruby_marshal.rs hold them to Ruby).
fn serializers() -> Vec<Arc<dyn Serializer>> {
    registry::serializer_names()
        .into_iter()
        .filter(|name| *name != "auto")
        .map(|name| registry::serializer(name, name).unwrap())
        .filter(|serializer| !serializer.id_from_store())
        .collect()
}

/// FreezeThaw refuses characters above U+00FF (Perl could never read them back,
/// spec §7.3), so its data holds UTF-8 bytes where the others hold wide characters.
/// And Perl's FreezeThaw takes two regexps with the same text for one repeated
/// object and then loses the pattern (compat-fixtures `fx_ft_regexps` covers what
/// it can store), so its data holds each regexp's pattern as a string.
fn fit_for(serializer: &str, v: &Value) -> Value {
    if serializer != "freezethaw" {
        return v.clone();
    }
    fn narrow(s: &PerlString) -> PerlString {
        if s.code_points().any(|c| c > 0xFF) {
            PerlString::from_bytes(s.utf8_encoded())
        } else {
            s.clone()
        }
    }
    map_data(
        v,
        &|leaf| match leaf {
            Value::Str(s) => Value::Str(narrow(s)),
            Value::Regexp(r) => Value::Str(narrow(&r.pattern)),
            other => other.clone(),
        },
        &narrow,
    )
}

/// `v` with every non-reference value passed through `f` and every hash key
/// through `key`; sharing kept.
fn map_data(
    v: &Value,
    f: &dyn Fn(&Value) -> Value,
    key: &dyn Fn(&PerlString) -> PerlString,
) -> Value {
    fn go(
        v: &Value,
        f: &dyn Fn(&Value) -> Value,
        key: &dyn Fn(&PerlString) -> PerlString,
        done: &mut std::collections::HashMap<usize, Value>,
    ) -> Value {
        if let Some(copy) = v.ref_addr().and_then(|a| done.get(&a)) {
            return copy.clone();
        }
        let copy = match v {
            Value::Array(items) => Value::Array(Arc::new(
                items.iter().map(|x| go(x, f, key, done)).collect(),
            )),
            Value::Hash(h) => Value::Hash(Arc::new(
                h.iter()
                    .map(|(k, x)| (key(k), go(x, f, key, done)))
                    .collect(),
            )),
            Value::Scalar(t) => Value::Scalar(Arc::new(go(t, f, key, done))),
            Value::Object(o) => Value::blessed(o.class.clone(), go(&o.value, f, key, done)),
            other => f(other),
        };
        if let Some(addr) = v.ref_addr() {
            done.insert(addr, copy.clone());
        }
        copy
    }
    go(v, f, key, &mut Default::default())
}

fn string() -> impl Strategy<Value = PerlString> {
    prop_oneof![
        4 => "[a-z_]{0,8}".prop_map(|s| PerlString::from_text(&s)),
        2 => "[ -~]{0,12}".prop_map(|s| PerlString::from_text(&s)),
        2 => vec(any::<u8>(), 0..12).prop_map(PerlString::from_bytes),
        2 => "\\PC{0,8}".prop_map(|s| PerlString::from_text(&s)),
        1 => "[0-9]{1,4}|-?[0-9]\\.[0-9]{1,3}|0[0-9]{2}|yes|no|~|null|true".prop_map(|s| PerlString::from_text(&s)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Undef),
        3 => (-200i64..200).prop_map(Value::Int),
        1 => any::<i64>().prop_map(Value::Int),
        1 => (-1e6f64..1e6).prop_map(Value::Float),
        5 => string().prop_map(Value::Str),
        // Valid Perl patterns: Perl compiles what it reads.
        1 => "[a-z]{1,3}(\\.\\*|\\+|[0-9])?[a-z]{0,2}".prop_map(|p| Value::Regexp(Arc::new(Regexp {
            pattern: PerlString::from_text(&p),
            flags: String::new(),
        }))),
    ]
}

fn class() -> impl Strategy<Value = PerlString> {
    "[A-Z][a-z]{0,5}(::[A-Z][a-z]{0,5})?".prop_map(|s| PerlString::from_text(&s))
}

/// Nested data; a pool of shared references is spliced in by [`session`].
fn data() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::array),
            vec((string(), inner.clone()), 0..6).prop_map(Value::hash),
            inner.clone().prop_map(Value::scalar_ref),
            (class(), vec((string(), inner.clone()), 0..4))
                .prop_map(|(c, pairs)| Value::blessed(c, Value::hash(pairs))),
            (class(), vec(inner, 0..4))
                .prop_map(|(c, items)| Value::blessed(c, Value::array(items))),
        ]
    })
}

/// A session's data hash: `_SESSION_*` keys, parameters, and one reference that
/// two parameters share.
fn session() -> impl Strategy<Value = Value> {
    (vec((string(), data()), 0..8), data(), "[0-9a-f]{32}").prop_map(|(params, shared, id)| {
        let shared = if shared.is_ref() {
            shared
        } else {
            Value::array([shared])
        };
        let mut pairs: Vec<(PerlString, Value)> = params;
        pairs.push(("_SESSION_ID".into(), Value::from(id.as_str())));
        pairs.push(("_SESSION_CTIME".into(), Value::Int(1_795_293_613)));
        pairs.push(("_SESSION_ATIME".into(), Value::Int(1_795_293_700)));
        pairs.push(("_SESSION_REMOTE_ADDR".into(), Value::from("192.0.2.7")));
        pairs.push(("shared_a".into(), shared.clone()));
        pairs.push(("shared_b".into(), Value::array([shared])));
        Value::hash(pairs)
    })
}

/// Runs `check` on `cases` sessions: the same ones every run, so CI is repeatable;
/// `CGISESS_PROPTEST_RANDOM=1` draws fresh ones to explore further.
fn run(cases: u32, check: impl Fn(&Value) -> Result<(), TestCaseError>) {
    let config = RunConfig {
        cases,
        failure_persistence: None,
        ..RunConfig::default()
    };
    let mut runner = if std::env::var("CGISESS_PROPTEST_RANDOM").as_deref() == Ok("1") {
        TestRunner::new(config)
    } else {
        let rng = TestRng::deterministic_rng(config.rng_algorithm);
        TestRunner::new_with_rng(config, rng)
    };
    if let Err(e) = runner.run(&session(), |v| check(&v)) {
        panic!("{e}");
    }
}

fn thaw(serializer: &dyn Serializer, bytes: &[u8]) -> Result<Value, TestCaseError> {
    serializer.thaw(bytes).map_err(|e| {
        TestCaseError::fail(format!(
            "{}: cannot read its own output: {e}\n{}",
            serializer.name(),
            bytes.escape_ascii()
        ))
    })
}

#[test]
fn every_serializer_reads_its_own_output_as_a_fixed_point() {
    for serializer in serializers() {
        let name = serializer.name();
        run(256, |v| {
            let v = fit_for(name, v);
            let bytes = serializer
                .freeze(&v)
                .map_err(|e| TestCaseError::fail(format!("{name}: freeze: {e}")))?;
            let once = thaw(serializer.as_ref(), &bytes)?;
            if LOSSLESS.contains(&name) {
                prop_assert_eq!(to_typed(&once), to_typed(&as_stored(&v)), "{}", name);
            }
            let again = serializer.freeze(&once).unwrap();
            let twice = thaw(serializer.as_ref(), &again)?;
            if let Some(diff) = first_difference(&to_typed(&twice), &to_typed(&once)) {
                return Err(TestCaseError::fail(format!(
                    "{name}: not a fixed point: {diff}"
                )));
            }
            Ok(())
        });
    }
}

/// Perl evaluates every `\undef` to a reference to its one immortal undef, so two
/// of them read back as one shared reference (`eval '[\undef, \undef]'` gives the
/// same address twice); a read-only quirk, and it makes sharing of a reference to
/// undef unobservable. Typed JSON with every reference to undef unshared, applied
/// to both sides' readings.
fn without_shared_undef_refs(typed: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    fn undef_ref_ids(t: &Json, ids: &mut Vec<Json>) {
        match t {
            Json::Object(map) => {
                if map.len() == 2 && map.get("ref") == Some(&Json::Null) {
                    ids.extend(map.get("id").cloned());
                }
                map.values().for_each(|v| undef_ref_ids(v, ids));
            }
            Json::Array(items) => items.iter().for_each(|v| undef_ref_ids(v, ids)),
            _ => {}
        }
    }
    // Ids are numbered in walk order (typed.rs); the rest are renumbered to match.
    fn strip(t: &Json, ids: &[Json], renumber: &mut Vec<Json>) -> Json {
        match t {
            Json::Object(map) => {
                let is_undef_ref = map.get("ref") == Some(&Json::Null)
                    || map.get("same").is_some_and(|n| ids.contains(n));
                if is_undef_ref {
                    return serde_json::json!({ "ref": null });
                }
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let v = match k.as_str() {
                        "id" => {
                            renumber.push(v.clone());
                            Json::from(renumber.len())
                        }
                        "same" => {
                            Json::from(renumber.iter().position(|n| n == v).map_or(0, |i| i + 1))
                        }
                        _ => strip(v, ids, renumber),
                    };
                    out.insert(k.clone(), v);
                }
                Json::Object(out)
            }
            Json::Array(items) => {
                Json::Array(items.iter().map(|v| strip(v, ids, renumber)).collect())
            }
            other => other.clone(),
        }
    }
    let mut ids = Vec::new();
    undef_ref_ids(typed, &mut ids);
    strip(typed, &ids, &mut Vec::new())
}

/// Rust freeze → Perl thaw, and Perl freeze → Rust thaw, each compared with the
/// other side's reading of the same bytes.
#[test]
fn perl_and_rust_read_each_others_output_alike() {
    let Some(oracle) = Oracle::get() else { return };
    for serializer in serializers() {
        let name = serializer.name();
        run(24, |v| {
            let v = fit_for(name, v);
            let ours = serializer.freeze(&v).unwrap();
            // Perl's default thaw blesses qr// into its Safe compartment's class.
            let perl_thaw = |bytes: &[u8]| {
                oracle
                    .thaw_bytes(name, bytes)
                    .map(|t| without_shared_undef_refs(&without_safe_regexp_class(&t)))
            };
            let perl_reads = perl_thaw(&ours).map_err(|e| {
                TestCaseError::fail(format!(
                    "{name}: Perl cannot read ours: {e}\n{}",
                    ours.escape_ascii()
                ))
            })?;
            let rust_reads =
                without_shared_undef_refs(&to_typed(&thaw(serializer.as_ref(), &ours)?));
            if let Some(diff) = first_difference(&rust_reads, &perl_reads) {
                return Err(TestCaseError::fail(format!(
                    "{name}: Rust's bytes: Rust and Perl differ: {diff}\n{}",
                    ours.escape_ascii()
                )));
            }
            let theirs = oracle.freeze_typed(name, &perl_reads);
            let perl_rereads = perl_thaw(&theirs).map_err(|e| {
                TestCaseError::fail(format!("{name}: Perl cannot read its own: {e}"))
            })?;
            let rust_rereads =
                without_shared_undef_refs(&to_typed(&thaw(serializer.as_ref(), &theirs)?));
            if let Some(diff) = first_difference(&rust_rereads, &perl_rereads) {
                return Err(TestCaseError::fail(format!(
                    "{name}: Perl's bytes: Rust and Perl differ: {diff}\n{}",
                    theirs.escape_ascii()
                )));
            }
            Ok(())
        });
    }
}
