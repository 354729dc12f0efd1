//! What each fuzz target checks, in one place: the libFuzzer targets in
//! `fuzz_targets/` call these functions, and so does the root crate's
//! `tests/fuzz_regressions.rs` (which includes this file as a module), replaying
//! every input under `fuzz/regressions/<target>/` on stable `cargo test`.
//!
//! Every check panics on a broken property, with what broke; an input that is
//! merely invalid must give an error, never a panic, hang or runaway allocation.
//! The properties:
//! * serializers: a refused record is an error naming a place inside it; thaw
//!   and `thaw_fields` agree on the reserved `_SESSION_*` keys; whatever thaw
//!   accepts, freeze writes, and thaw reads back as the same Perl data (every
//!   scalar `eq` to the original, or `==` for two numbers; the same kinds of
//!   reference, classes, and regexps as Perl compiles them); reading what the
//!   writer wrote is a fixed point, bytes included (so sharing survives too).
//!   YAML is held to less (see [`serializer`]): Perl's YAML::Syck loses data in
//!   corners that ours reproduces byte for byte;
//! * `auto`: a sniffed record reads as its own serializer reads it;
//! * DSNs: an accepted DSN's canonical form parses to the same components;
//! * CGI: what `escape` writes `unescape` reads back; request parsing never fails;
//! * driver arguments: accepted modes fit `0o777`, accepted file names and
//!   memcached keys are ones the store can hold.
//!
//! Inputs that are text are taken only when they are UTF-8 (DSNs and driver
//! arguments are Rust strings); request parts are bytes, as a server passes them.

use std::path::Path;
use std::sync::Arc;

use cgi_session::cgi::{self, CgiQuery, DateFormat, Query};
use cgi_session::{registry, str2seconds, Dsn};
use cgi_session_drivers::{args, Args, FileDriver, MemcachedDriver};
use cgi_session_serializers::{
    marshal, Dumper, Error, FreezeThaw, Json, PerlString, Regexp, RubyFileStore, RubyPStore,
    Serializer, Storable, Value, Yaml,
};

/// A target's checks, run on one input.
pub type Check = fn(&[u8]);

/// The targets by name, as `fuzz/regressions/<name>/` holds their inputs.
pub const TARGETS: &[(&str, Check)] = &[
    ("dsn", dsn),
    ("thaw_default", thaw_default),
    ("thaw_storable", thaw_storable),
    ("thaw_freezethaw", thaw_freezethaw),
    ("thaw_yaml", thaw_yaml),
    ("thaw_json", thaw_json),
    ("thaw_marshal", thaw_marshal),
    ("auto", auto),
    ("cgi", cgi),
    ("driver_args", driver_args),
];

/// The keys a purge asks `thaw_fields` for (`cgi_session::keys`).
const RESERVED: &[&str] = &[
    "_SESSION_ID",
    "_SESSION_CTIME",
    "_SESSION_ATIME",
    "_SESSION_ETIME",
    "_SESSION_REMOTE_ADDR",
    "_SESSION_EXPIRE_LIST",
];

/// `Dsn::parse` of any text; an accepted DSN's canonical form gives it back, and
/// the registry answers for the names it selects.
pub fn dsn(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dsn) = Dsn::parse(text) else { return };
    let canonical = dsn.to_string();
    let again = Dsn::parse(&canonical)
        .unwrap_or_else(|e| panic!("{text:?} parses, its canonical form {canonical:?} not: {e}"));
    assert_eq!(
        (
            again.driver_name(),
            again.serializer_name(),
            again.id_name()
        ),
        (dsn.driver_name(), dsn.serializer_name(), dsn.id_name()),
        "{text:?} and its canonical form {canonical:?} select different components"
    );
    let _ = registry::serializer(dsn.serializer_name(), text);
    let _ = registry::id_generator(dsn.id_name(), text);
}

/// Serializer `default` (Data::Dumper): see [`serializer`].
pub fn thaw_default(data: &[u8]) {
    serializer(&Dumper, data);
}

/// Serializer `storable`: see [`serializer`].
pub fn thaw_storable(data: &[u8]) {
    serializer(&Storable, data);
}

/// Serializer `freezethaw`: see [`serializer`].
pub fn thaw_freezethaw(data: &[u8]) {
    serializer(&FreezeThaw, data);
}

/// Serializer `yaml`: see [`serializer`].
pub fn thaw_yaml(data: &[u8]) {
    serializer(&Yaml, data);
}

/// Serializer `json`: see [`serializer`].
pub fn thaw_json(data: &[u8]) {
    serializer(&Json, data);
}

/// Ruby's Marshal and the two Ruby store formats: [`marshal::load`] of anything is a
/// value or an error naming a place inside the input; what it reads, [`marshal::dump`]
/// writes, and reading that gives the same value and is a fixed point, bytes included.
/// The FileStore and PStore serializers hold to the [`serializer`] properties.
pub fn thaw_marshal(data: &[u8]) {
    match marshal::load(data) {
        Err(e) => check_error(&e, data),
        Ok(v1) => {
            let b1 = marshal::dump(&v1)
                .unwrap_or_else(|e| panic!("marshal: dump refuses what load read: {e}"));
            let v2 = marshal::load(&b1).unwrap_or_else(|e| {
                panic!(
                    "marshal: cannot read its own output: {e}\n{}",
                    b1.escape_ascii()
                )
            });
            assert!(v2 == v1, "marshal: dump and load change {v1:?} into {v2:?}");
            let b2 = marshal::dump(&v2).expect("dumps what it read once");
            assert!(
                b2 == b1,
                "marshal: not a fixed point:\n{}\n{}",
                b1.escape_ascii(),
                b2.escape_ascii()
            );
        }
    }
    for store in [&RubyPStore as &dyn Serializer, &RubyFileStore] {
        // A listing's pseudo-id is not written back (marshal::DIGEST_ID_PREFIX).
        let pseudo_id = store.thaw(data).is_ok_and(|record| {
            record
                .get("_SESSION_ID")
                .and_then(Value::as_perl_str)
                .is_some_and(|id| {
                    id.as_bytes()
                        .starts_with(marshal::DIGEST_ID_PREFIX.as_bytes())
                })
        });
        if !pseudo_id {
            serializer(store, data);
        }
    }
}

/// Serializer `auto` (sniffing): what it reads is what the sniffed format's own
/// serializer reads, and `thaw_fields` agrees with it.
pub fn auto(data: &[u8]) {
    let auto = registry::auto(Arc::new(Dumper));
    let read = auto.thaw(data);
    if let Err(e) = &read {
        check_error(e, data);
    }
    let own = cgi_session_serializers::sniff(data)
        .and_then(|format| auto.reader(format))
        .map(|reader| reader.thaw(data));
    match (&read, own) {
        (Ok(v), Some(Ok(own))) => {
            if let Some(diff) = difference(v, &own, false) {
                panic!("auto and the format's own reader differ: {diff}");
            }
        }
        (Ok(_), _) => panic!("auto read a record that no serializer of its format reads"),
        (Err(_), Some(Ok(_))) => panic!("auto refused a record its format's reader reads"),
        (Err(_), _) => {}
    }
    check_fields(&auto, data, &read);
}

/// Request parsing: a cookie header, a query string, and a body with its CGI
/// variables, from the input's lines (`HTTP_COOKIE`, `QUERY_STRING`,
/// `REQUEST_METHOD`, `CONTENT_TYPE`, `CONTENT_LENGTH`, then the body), plus
/// `escape`/`unescape` and cookie `expires` dates.
pub fn cgi(data: &[u8]) {
    let mut lines = data.splitn(6, |&b| b == b'\n');
    let mut next = || lines.next().unwrap_or_default();
    let (cookie, query_string, method, content_type, length) =
        (next(), next(), next(), next(), next());
    let body = next();
    let vars = [
        ("HTTP_COOKIE", cookie),
        ("QUERY_STRING", query_string),
        ("REQUEST_METHOD", method),
        ("CONTENT_TYPE", content_type),
        ("CONTENT_LENGTH", length),
    ];
    let var = |name: &str| {
        vars.iter()
            .find(|(n, v)| *n == name && !v.is_empty())
            .map(|(_, v)| v.to_vec())
    };
    let parsed = CgiQuery::from_vars_with_body(var, &mut &body[..]);
    let query = CgiQuery::from_parts(cookie, query_string);
    for q in std::iter::once(&query).chain(parsed.as_ref().ok().map(|(q, _)| q)) {
        for name in q.param_names() {
            let _ = q.param_values(&name.to_text());
        }
        let _ = cgi::claimed_id(q, "CGISESSID");
    }
    // escape writes every byte outside [A-Za-z0-9_.~-] as %XX: unescape inverts it.
    let raw = PerlString::from_bytes(data.to_vec());
    assert_eq!(
        cgi::unescape(cgi::escape(&raw).as_bytes()),
        raw.utf8_encoded(),
        "unescape(escape(s)) is not s"
    );
    assert!(cgi::unescape(data).len() <= data.len());
    if let Ok(spec) = std::str::from_utf8(query_string) {
        for format in [DateFormat::Cookie, DateFormat::Http] {
            let _ = cgi::cookie_expires(spec, 1_795_293_613, format);
        }
    }
}

/// Driver arguments, one `Name=value` a line: the file and memcached drivers built
/// from them (the file store in a fixed scratch directory), every value read as a
/// mode, a flag and an expiry interval, and as a session id for both stores.
pub fn driver_args(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut given: Args = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let values: Vec<String> = given.values().cloned().collect();
    for value in &values {
        if let Ok(mode) = args::parse_mode("UMask", value) {
            assert!(mode <= 0o777, "{value:?} read as mode {mode:#o}");
        }
        let _ = args::parse_flag("NoFlock", value);
        let _ = str2seconds(&Value::from(value.as_str()));
    }
    let directory = std::env::temp_dir().join("cgisess-fuzz-driver-args");
    given.insert("Directory".into(), directory.to_string_lossy().into_owned());
    if let Ok(file) = FileDriver::from_args(&given) {
        for id in &values {
            if let Ok(path) = file.path_for(id) {
                assert_eq!(
                    path.parent(),
                    Some(file.directory()),
                    "{id:?} leaves the store"
                );
                let name = path.file_name().map(Path::new);
                assert!(
                    name.is_some_and(|n| n != Path::new(".") && n != Path::new("..")),
                    "{id:?} names {path:?}"
                );
            }
        }
    }
    if let Ok(memcached) = MemcachedDriver::from_args(&given) {
        for id in &values {
            if let Ok(key) = memcached.key_for(id) {
                assert!(
                    key.len() <= 250,
                    "{id:?} gives a key of {} bytes",
                    key.len()
                );
                assert!(
                    !key.chars().any(|c| c.is_whitespace() || c.is_control()),
                    "{id:?} gives key {key:?}"
                );
            }
        }
    }
}

/// The serializer properties (see the [crate docs](crate)).
pub fn serializer(serializer: &dyn Serializer, data: &[u8]) {
    let name = serializer.name();
    let read = serializer.thaw(data);
    check_fields(serializer, data, &read);
    let v1 = match read {
        Ok(v) => v,
        Err(e) => return check_error(&e, data),
    };
    let b1 = serializer
        .freeze(&v1)
        .unwrap_or_else(|e| panic!("{name}: freeze refuses what thaw read: {e}"));
    // A class a tag cannot carry is written as Syck writes it, and read back as
    // another class or not at all: only writing is checked (as yaml/tests/hostile.rs).
    if name == "yaml" && !classes_fit_tags(&v1) {
        return;
    }
    let v2 = serializer.thaw(&b1).unwrap_or_else(|e| {
        panic!(
            "{name}: cannot read its own output: {e}\n{}",
            b1.escape_ascii()
        )
    });
    if name == "yaml" {
        // YAML::Syck loses data in corners our writer and reader reproduce byte for
        // byte, so Perl reads our records as its own (see fuzz/regressions/thaw_yaml):
        // an alias of a shared reference to a shared thing, a CR before a line break,
        // a blessed scalar holding `=`, a float's kind. What must hold: the writer's
        // output reads back, and so does the output of writing that.
        let b2 = serializer.freeze(&v2).expect("freezes what it read once");
        serializer.thaw(&b2).expect("reads its own output twice");
        return;
    }
    // FreezeThaw writes a blessed regexp as a plain one (its module docs), as Perl's does.
    let regexp_class_lost = name == "freezethaw";
    if let Some(diff) = difference(&v1, &v2, regexp_class_lost) {
        panic!(
            "{name}: freeze and thaw change the data: {diff}\n{}",
            b1.escape_ascii()
        );
    }
    // Reading the writer's output is a fixed point, kinds and sharing included.
    let b2 = serializer.freeze(&v2).expect("freezes what it read once");
    let v3 = serializer.thaw(&b2).expect("reads its own output twice");
    let b3 = serializer.freeze(&v3).expect("freezes what it read twice");
    assert!(
        v3 == v2 && b3 == b2,
        "{name}: not a fixed point:\n{}\n{}",
        b2.escape_ascii(),
        b3.escape_ascii()
    );
}

/// Whether every class can be written in a YAML tag and read back as itself: a
/// tag ends at a blank, readers drop a hash's leading `%` and an array's `@`, and
/// a class named like the tag's kind is no class (`classes_fit_tags` in
/// serializers/src/yaml/tests/hostile.rs has the first two rules).
fn classes_fit_tags(v: &Value) -> bool {
    match v {
        Value::Object(o) => {
            let class = o.class.as_bytes();
            let sigil = match o.value {
                Value::Hash(_) => b'%',
                Value::Array(_) => b'@',
                _ => b' ',
            };
            // `!!perl/ref:ref` is read as the bare `!!perl/ref`, and so on.
            let kinds: [&[u8]; 6] = [b"hash", b"array", b"ref", b"scalar", b"regexp", b"code"];
            !class.iter().any(|b| b" \t\n\r".contains(b))
                && class.first() != Some(&sigil)
                && !kinds.contains(&class)
                && classes_fit_tags(&o.value)
        }
        Value::Array(a) => a.iter().all(classes_fit_tags),
        Value::Hash(h) => h.values().all(classes_fit_tags),
        Value::Scalar(s) => classes_fit_tags(s),
        _ => true,
    }
}

/// A refusal names a place inside the input and says what is wrong there.
fn check_error(e: &Error, data: &[u8]) {
    if let Error::Syntax {
        offset, message, ..
    } = e
    {
        assert!(offset <= &data.len(), "offset {offset} past the end: {e}");
        assert!(!message.is_empty(), "no message: {e:?}");
    }
    assert!(!e.to_string().is_empty());
}

/// `thaw_fields` for the reserved keys accepts what `thaw` accepts and gives the
/// same values for them; where thaw refuses it may still answer (it checks skipped
/// values for their structure only) but must not panic.
fn check_fields(serializer: &dyn Serializer, data: &[u8], read: &Result<Value, Error>) {
    let fields = serializer.thaw_fields(data, RESERVED);
    let Ok(full) = read else { return };
    let name = serializer.name();
    let fields =
        fields.unwrap_or_else(|e| panic!("{name}: thaw accepts, thaw_fields refuses: {e}"));
    for key in RESERVED {
        let (a, b) = (full.get(key), fields.get(key));
        let same = match (a, b) {
            (Some(a), Some(b)) => a == b,
            (a, b) => a.is_none() && b.is_none(),
        };
        assert!(same, "{name}: {key}: thaw reads {a:?}, thaw_fields {b:?}");
    }
}

/// Where `a` and `b` differ as Perl data: plain scalars compare as Perl's `eq`
/// (a stored number may come back as a string), `undef` only equals `undef`, and
/// references must be of the same kind, class and content. `None` when alike.
/// With `regexp_class_lost`, a blessed regexp in `a` may be a plain one in `b`.
pub fn difference(a: &Value, b: &Value, regexp_class_lost: bool) -> Option<String> {
    walk(a, b, &mut String::from("$data"), regexp_class_lost)
}

fn walk(a: &Value, b: &Value, path: &mut String, regexp_class_lost: bool) -> Option<String> {
    let go = |a: &Value, b: &Value, path: &mut String| walk(a, b, path, regexp_class_lost);
    let differ = || Some(format!("at {path}: {a:?} vs {b:?}"));
    match (a, b) {
        (Value::Undef, Value::Undef) | (Value::Code, Value::Code) => None,
        (Value::Undef, _) | (_, Value::Undef) => differ(),
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return differ();
            }
            x.iter().zip(y.iter()).enumerate().find_map(|(i, (x, y))| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = go(x, y, path);
                path.truncate(len);
                found
            })
        }
        (Value::Hash(x), Value::Hash(y)) => {
            if !x.keys().eq(y.keys()) {
                return differ();
            }
            x.iter().zip(y.values()).find_map(|((k, x), y)| {
                let len = path.len();
                path.push_str(&format!("{{{k:?}}}"));
                let found = go(x, y, path);
                path.truncate(len);
                found
            })
        }
        (Value::Scalar(x), Value::Scalar(y)) => {
            path.push_str("->$");
            go(x, y, path)
        }
        (Value::Object(x), Value::Object(y)) if x.class == y.class => go(&x.value, &y.value, path),
        (Value::Object(x), Value::Regexp(_))
            if regexp_class_lost && matches!(x.value, Value::Regexp(_)) =>
        {
            go(&x.value, b, path)
        }
        // Perl reads a stored `(?^i:ab)` back as qr/(?^i:ab)/, the same regexp
        // one group deeper; the writers add no second group (see freezethaw).
        (Value::Regexp(x), Value::Regexp(y)) if x == y || stringified(x) == **y => None,
        (Value::Regexp(x), Value::Regexp(y)) if stringified(y) == **x => None,
        // Storable keeps an integral float as an integer, as Perl's does.
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i))
            if *i as f64 == *f && f.fract() == 0.0 =>
        {
            None
        }
        _ if !a.is_ref() && !b.is_ref() => {
            (a.to_perl_string() != b.to_perl_string()).then(|| differ().unwrap_or_default())
        }
        _ => differ(),
    }
}

/// The regexp as Perl stringifies it, `(?^FLAGS:PATTERN)`, as a pattern without flags.
fn stringified(re: &Regexp) -> Regexp {
    let open = format!("(?^{}:", re.flags);
    let text = open.chars().map(u32::from);
    let text = text.chain(re.pattern.code_points()).chain([u32::from(')')]);
    Regexp {
        pattern: PerlString::from_code_points(text).expect("code points of a string"),
        flags: String::new(),
    }
}
