//! Live tests against Perl's YAML::Syck 1.34 through CGI::Session::Serialize::yaml:
//! the oracle.
//!
//! Data crosses as the typed JSON of `tests/oracle/README.md`: Perl builds each case
//! with the oracle's own `from_typed` and describes what it reads with `to_typed`.
//! 1. Our `freeze` equals Perl's `Dump` of the same data, byte for byte (anchor
//!    numbers aside where Perl's random hash order decides them).
//! 2. Perl thaws our YAML to what it thaws its own to.
//! 3. We thaw Perl's YAML to what Perl thaws it to.
//! 4. Hand-written YAML beyond what Syck writes: we read what Perl reads, or refuse
//!    what Perl refuses.
//! 5. Thousands of generated strings (as values and keys) and hundreds of generated
//!    trees of data: 1 to 3 again. `YAML_SEED=N` and `YAML_ROUNDS=N` explore further.
//!
//! Where we write differently from Syck on purpose (`Expect::Improved`), Perl must
//! read our YAML back as the original data.
//!
//! Skipped, with a printed reason, when `perl` or the modules are missing, unless
//! `CGISESS_REQUIRE_ORACLE=1`, which makes that a failure.

#[path = "perl_yaml/cases.rs"]
mod cases;
#[path = "perl_yaml/generated.rs"]
mod generated;
#[path = "perl_yaml/oracle.rs"]
mod oracle;

use std::sync::Arc;

use cgi_session_serializers::{PerlString, Serializer, Value, Yaml};

#[allow(dead_code)]
#[path = "../../tests/common/typed.rs"]
mod typed;

use cases::{case, cases, Case, Expect};
use generated::{random_text, random_value, Rng};
use oracle::{oracle_available, perl_dump, perl_thaw, renumbered, without_anchor_names};
use typed::{first_difference, to_typed};

/// Runs checks 1 to 3 over `cases`, reporting every failure at once.
fn check_cases(cases: &[Case]) {
    let values: Vec<Value> = cases.iter().map(|c| c.value.clone()).collect();
    let perl_yaml = perl_dump(&values);
    let ours: Vec<Vec<u8>> = values
        .iter()
        .map(|v| Yaml.freeze(v).expect("freeze"))
        .collect();
    let perl_reads_perl = perl_thaw(&perl_yaml);
    let perl_reads_ours = perl_thaw(&ours);
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let same_bytes = match c.expect {
            Expect::Same => ours[i] == perl_yaml[i],
            Expect::Renumbered => renumbered(&ours[i]) == renumbered(&perl_yaml[i]),
            Expect::Improved => true,
        };
        if !same_bytes {
            let lines = |b: &[u8]| {
                b.split(|&c| c == b'\n')
                    .map(<[u8]>::to_vec)
                    .collect::<Vec<_>>()
            };
            let (theirs, mine) = (lines(&perl_yaml[i]), lines(&ours[i]));
            let at = theirs
                .iter()
                .zip(&mine)
                .position(|(a, b)| a != b)
                .unwrap_or(theirs.len().min(mine.len()));
            let line = |l: &[Vec<u8>]| {
                l.get(at)
                    .map(|b| format!("{:?}", b.escape_ascii().to_string()))
                    .unwrap_or_default()
            };
            failures.push(format!(
                "{}: freeze differs at line {at}: Perl {} ours {}",
                c.name,
                line(&theirs),
                line(&mine)
            ));
            continue;
        }
        let want = match c.expect {
            Expect::Improved => Ok(to_typed(&c.value)),
            _ => perl_reads_perl[i].clone(),
        };
        let want = match want {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!("{}: Perl cannot read its own YAML: {e}", c.name));
                continue;
            }
        };
        match &perl_reads_ours[i] {
            Ok(got) => {
                let (got, want) = match c.expect {
                    Expect::Renumbered => (without_anchor_names(got), without_anchor_names(&want)),
                    _ => (got.clone(), want.clone()),
                };
                if let Some(diff) = first_difference(&got, &want) {
                    failures.push(format!("{}: Perl reads ours differently: {diff}", c.name));
                }
            }
            Err(e) => failures.push(format!(
                "{}: Perl cannot read ours: {e}\n{}",
                c.name,
                show(&ours[i])
            )),
        }
        match Yaml.thaw(&perl_yaml[i]) {
            Ok(v) if c.expect != Expect::Improved => {
                if let Some(diff) = first_difference(&to_typed(&v), &want) {
                    failures.push(format!(
                        "{}: we read Perl's YAML differently: {diff}",
                        c.name
                    ));
                }
            }
            Ok(_) => {}
            Err(e) => failures.push(format!("{}: we cannot read Perl's YAML: {e}", c.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn freeze_and_thaw_agree_with_perl() {
    if !oracle_available() {
        return;
    }
    check_cases(&cases());
    // The oracle builds every code ref as the same Perl sub: blessing it would bless
    // the code refs of other cases too, so this one runs in its own Perl.
    check_cases(&[case(
        "a blessed code ref",
        Value::blessed("My::Code", Value::Code),
    )]);
}

/// Generated strings as values and keys, bytes and characters: freeze, thaw and
/// Perl's readings agree as for the hand-made cases.
#[test]
fn generated_strings_agree_with_perl() {
    if !oracle_available() {
        return;
    }
    let mut rng = Rng(std::env::var("YAML_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe_f00d_1234));
    let mut cases = Vec::new();
    for round in 0..std::env::var("YAML_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24)
    {
        let wide = round % 3 == 2;
        let strings: Vec<PerlString> = (0..150)
            .map(|_| {
                // A value ending in CR is quoted on purpose (see `improved_cases`).
                let text = random_text(&mut rng, wide)
                    .trim_end_matches('\r')
                    .to_string();
                if wide {
                    PerlString::from_utf8_internal(text.into_bytes()).unwrap()
                } else {
                    // Each char below 0x100 is one byte, as Perl holds a byte string.
                    PerlString::from_bytes(
                        text.chars().map(|c| c as u32 as u8).collect::<Vec<u8>>(),
                    )
                }
            })
            .collect();
        // Top-level keys starting with "--- " are quoted on purpose (see `improved_cases`).
        let marker =
            |s: &PerlString| s.as_bytes().starts_with(b"--- ") || s.as_bytes().starts_with(b"... ");
        let keys = strings
            .iter()
            .filter(|s| !marker(s))
            .cloned()
            .zip((0..).map(Value::Int))
            .collect();
        cases.push(case(
            &format!("round {round} values"),
            Value::array(strings.into_iter().map(Value::Str)),
        ));
        cases.push(case(
            &format!("round {round} keys"),
            Value::Hash(Arc::new(keys)),
        ));
    }
    check_cases(&cases);
}

/// YAML that Syck does not write but reads: we read what Perl reads.
const GENERAL_YAML: &[&str] = &[
    "a: 1\n",
    "- a\n- b\n",
    "\n# comment only\n",
    "--- ~\n",
    "---\n",
    "--- \n",
    "--- x\n--- y\n",
    "--- x\n...\n",
    "--- #YAML:1.0\na: 1\n",
    "--- \n  a: 1\n  b: 2\n",
    "--- \na:\nb: 1\n",
    "--- \na: \t1\n",
    "--- \na:\t1\n",
    "--- \na: x  \n",
    "--- \na: x # comment\n# full line\nb: 2 #c\n",
    "--- \na: x\n  y\n\n  z\nb: 1\n",
    "--- \na: 'x\n\n  y'\nb: 'it''s'\n",
    "--- \na: \"x\n  y\"\nb: \"x\\\n   y\"\nc: \"\\x41\\xe9\\u263a\\/\\ \\N\\e\\0\"\n",
    "--- \na: |\n  x\n   y\n\n  z\n\nb: 1\n",
    "--- \na: |-\n  x\nb: |+\n  x\n\nc: 1\n",
    "--- \na: >\n  x\n  y\n\n  z\n   w\nb: >-\n  p\n  q\n",
    "--- |2\n   a\n",
    "--- \na: [1, [2, 3], {x: y}, 'q', \"d\"]\nb: {c: d, e, f: [g]}\nc: [a, b\n  , c]\n",
    "--- \n- - a\n  - b\n- c: 1\n  d: 2\n- \"k\": v\n  'l' : w\n",
    "--- \na:\n- 1\n- 2\nb:\n  - 3\n",
    "--- \na: &x [1]\nb: *x\nc: &y s\nd: *y\ne: !!perl/ref\n  =: *y\nf: !!perl/ref\n  =: *y\n",
    "--- \na: &x 1\nb: &x 2\nc: *x\n",
    "--- \n- *nowhere\n- *nowhere\n- !!perl/ref\n  =: *nowhere\n",
    "--- \n- *a\n- &a [1]\n",
    "--- \n- !int 42\n- !!int 1,000\n- !float 1.5\n- !null x\n- !bool#yes x\n- !bool#no x\n- !!bool yes\n",
    "--- \n- !binary aGVsbG8=\n- !!binary aGk=\n- !int#hex 0x1F\n- !int#oct 017\n- !!str 42\n- !str ~\n",
    "--- \n- !float#nan x\n- !float#inf x\n- !float#neginf x\n- !int 99999999999999999999\n",
    "--- !perl/hash:Foo\na: 1\n",
    "--- !perl/Foo\na: 1\n",
    "--- !Foo\na: 1\n",
    "--- !foo/bar\na: 1\n",
    "--- \n- !!map\n  a: 1\n- !!seq\n  - 1\n- !foo\n  - 1\n- !!perl/hash:\n  a: 1\n- !perl:Foo\n  a: 1\n",
    "--- \n- !!perl/array:@Foo\n  - 1\n- !perl/@Bar\n  - 2\n- !x/y:z\n  a: 1\n- !/x\n  a: 1\n",
    "--- \n- !!perl/ref\n  =: 1\n- !!perl/ref\n  Foo: 1\n- !!perl/ref:Bar\n  =: 1\n- !!perl/ref:\n  =: 1\n",
    "--- \n- !!perl/ref\n  b: 2\n  =: 1\n- !!perl/scalar:\n  =: 1\n",
    "--- \n- !!perl/scalar x\n- !!perl/scalar: x\n- !!perl/scalar:Foo '~'\n- !!perl/scalar:Foo ~\n",
    "--- \n- !!perl/code '{ 1 }'\n- !!perl/code:Foo '{ 1 }'\n- !!perl/code\n",
    "--- \n- !!perl/regexp (?i:ab+c)\n- !!perl/regexp (?i-sm:ab+c)\n- !!perl/regexp (?xi:a)\n- !!perl/regexp:Foo abc\n",
    "--- \n- !!perl/regexp\n  REGEXP: abc\n- !!perl/regexp:Foo\n  REGEXP: abc\n- !!perl/regexp ''\n",
    "--- \n- !perl/foo =\n- !!perl/glob x\n- !!str\n- !!perl/ref\n",
    "--- \na: !!perl/hash:Foo\nb: !!perl/scalar:Foo\nc: &1\nd: *1\n",
    "--- \n~: 1\n\"\": 2\n",
    "--- \na: 1\r\nb: \"x\r\n  y\"\r\nc: \r\n",
    "--- \n- x\r\n- \rx\n- \r \n",
    "--- \n\r: 1\na\r: 2\n",
    "--- a\0b\n",
    "--- \na: 1\n--- a: 8\nb: 2\n",
    "--- \na: 1\n... x: 2\n",
    "--- \na: [!!perl/hash:Foo {a: 1}, &x b, *x]\n",
    "--- \n- &1 &2\n  - 1\n- *1\n- *2\n",
    // Refused by Perl too.
    "",
    "--- \"x\" junk\n",
    "--- \na: x: y\n",
    "--- \n- a\n- b\nc: 1\n",
    "--- \na: 1\n  b: 2\n",
    "--- \na: 1\n b: 2\n",
    "--- [a, b, ]\n",
    "--- \n[a]: 1\n",
    "--- !!perl/ref {}\n",
];

#[test]
fn general_yaml_is_read_as_perl_reads_it() {
    if !oracle_available() {
        return;
    }
    let docs: Vec<Vec<u8>> = GENERAL_YAML.iter().map(|d| d.as_bytes().to_vec()).collect();
    let perl = perl_thaw(&docs);
    let mut failures = Vec::new();
    for (doc, perl) in docs.iter().zip(perl) {
        let ours = Yaml.thaw(doc);
        match (&perl, &ours) {
            (Ok(want), Ok(got)) => {
                if let Some(diff) = first_difference(&to_typed(got), want) {
                    failures.push(format!("{:?}: {diff}", String::from_utf8_lossy(doc)));
                }
            }
            (Err(_), Err(_)) => {}
            _ => failures.push(format!(
                "{:?}: Perl gives {perl:?}, we give {ours:?}",
                String::from_utf8_lossy(doc)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} documents read differently:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A malformed document after the first: Perl's `Load` parses it only to drop it,
/// and dies; we read the first document and stop there.
#[test]
fn later_documents_are_not_read() {
    let got = Yaml
        .thaw(b"--- \na: 1\n--- [\n")
        .expect("the first document is read");
    assert_eq!(got, Value::hash([("a", Value::bytes("1"))]));
}

/// Random trees with shared references, blessed things and regexps: our YAML is
/// Perl's once anchors are numbered alike, and both read alike.
#[test]
fn generated_data_agrees_with_perl() {
    if !oracle_available() {
        return;
    }
    let mut rng = Rng(std::env::var("YAML_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xdead_beef_1234_5678));
    let cases: Vec<Case> = (0..300)
        .map(|i| {
            let mut made = Vec::new();
            let value = Value::array(
                (0..4)
                    .map(|_| random_value(&mut rng, 0, &mut made))
                    .collect::<Vec<_>>(),
            );
            Case {
                name: format!("tree {i}"),
                value,
                expect: Expect::Renumbered,
            }
        })
        .collect();
    check_cases(&cases);
}
