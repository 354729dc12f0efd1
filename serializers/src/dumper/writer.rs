//! The writer: what XS Data::Dumper 2.184 emits with CGI::Session's settings (spec §7.1).
//!
//! The structure follows `DD_dump` in `Dumper.xs` closely, because its quirks are the
//! format: every reference's target is remembered with the Perl expression that
//! names it (`$D->{'a'}[1]`), and a target met again is written as an empty
//! placeholder plus a fix-up statement `NAME = FIRST_NAME` (Purity).

use std::collections::{btree_map, HashMap};

use super::lexer::runs_code;
use super::FORMAT;
use crate::number::format_float;
use crate::string::{decode_lax, PerlString};
use crate::value::{Regexp, MAX_DEPTH};
use crate::{Error, Value};

/// The name CGI::Session gives the dumped variable (`Data::Dumper->new([$data], ["D"])`).
const VAR: &[u8] = b"$D";

/// Writes `$D = VALUE;` then the fix-ups, then the `;$D` CGI::Session appends.
pub(super) fn freeze(data: &Value) -> Result<Vec<u8>, Error> {
    let mut w = Writer::default();
    w.out.extend_from_slice(VAR);
    w.out.extend_from_slice(b" = ");
    w.start(data, VAR.to_vec(), 0)?;
    w.run()?;
    w.out.push(b';');
    // Dumpxs joins the fix-ups with ";" and ends them with one more ";".
    for fixup in &w.fixups {
        w.out.extend_from_slice(fixup);
        w.out.push(b';');
    }
    w.out.extend_from_slice(b";$D");
    Ok(w.out)
}

/// `DD_dump` recurses; we keep its recursion on the heap so that data nested
/// [`MAX_DEPTH`] deep is written on any thread's stack.
#[derive(Default)]
struct Writer<'v> {
    out: Vec<u8>,
    /// Target address → the Perl expression that first reached it (`seenhv`).
    seen: HashMap<usize, Vec<u8>>,
    /// `NAME = FIRST_NAME` statements, in the order the repeats were met (`postav`).
    fixups: Vec<Vec<u8>>,
    /// Containers being written, innermost last.
    stack: Vec<Frame<'v>>,
}

/// A container whose elements are being written, or text owed after a nested value.
enum Frame<'v> {
    Array {
        items: std::slice::Iter<'v, Value>,
        next: usize,
        prefix: Vec<u8>,
        depth: usize,
    },
    Hash {
        entries: btree_map::Iter<'v, PerlString, Value>,
        first: bool,
        prefix: Vec<u8>,
        depth: usize,
    },
    /// `)}` after a blessed scalar's body, `, 'Class' )` after a blessed thing.
    Close(Vec<u8>),
}

impl<'v> Writer<'v> {
    /// Writes the remaining elements of every open container.
    fn run(&mut self) -> Result<(), Error> {
        while let Some(frame) = self.stack.last_mut() {
            // Names are built only for references: plain scalars are never repeats.
            let (item, name, depth) = match frame {
                Frame::Array {
                    items,
                    next,
                    prefix,
                    depth,
                } => {
                    let Some(item) = items.next() else {
                        self.out.push(b']');
                        self.stack.pop();
                        continue;
                    };
                    if *next > 0 {
                        self.out.push(b',');
                    }
                    let index = *next;
                    *next += 1;
                    if write_plain(&mut self.out, item, *depth + 1)? {
                        continue;
                    }
                    let mut name = prefix.clone();
                    name.extend_from_slice(format!("[{index}]").as_bytes());
                    (item, name, *depth + 1)
                }
                Frame::Hash {
                    entries,
                    first,
                    prefix,
                    depth,
                } => {
                    let Some((key, item)) = entries.next() else {
                        self.out.push(b'}');
                        self.stack.pop();
                        continue;
                    };
                    if !*first {
                        self.out.push(b',');
                    }
                    *first = false;
                    let key_at = self.out.len();
                    write_string(&mut self.out, key);
                    let key_end = self.out.len();
                    self.out.extend_from_slice(b" => ");
                    if write_plain(&mut self.out, item, *depth + 1)? {
                        continue;
                    }
                    let mut name = prefix.clone();
                    name.push(b'{');
                    name.extend_from_slice(&self.out[key_at..key_end]);
                    name.push(b'}');
                    (item, name, *depth + 1)
                }
                Frame::Close(text) => {
                    self.out.append(text);
                    self.stack.pop();
                    continue;
                }
            };
            self.start(item, name, depth)?;
        }
        Ok(())
    }

    /// Writes a scalar reached by the Perl expression `name` inside `depth` references,
    /// or opens the container it refers to.
    fn start(
        &mut self,
        mut v: &'v Value,
        mut name: Vec<u8>,
        mut depth: usize,
    ) -> Result<(), Error> {
        while !write_plain(&mut self.out, v, depth)? {
            check_depth(depth)?;
            let Some(target) = self.referent(v, &name, depth)? else {
                break;
            };
            // Only a scalar reference continues here: write its target next.
            v = target;
            let mut inner = b"${".to_vec();
            inner.append(&mut name);
            inner.push(b'}');
            name = inner;
            depth += 1;
        }
        Ok(())
    }

    /// Writes the reference `v` up to its contents: a placeholder if it was seen, else
    /// `bless( ` and the opening of the thing. Gives the target of a scalar reference,
    /// which the caller writes next.
    fn referent(
        &mut self,
        v: &'v Value,
        name: &[u8],
        depth: usize,
    ) -> Result<Option<&'v Value>, Error> {
        let Some(addr) = v.ref_addr() else {
            return Err(unsupported("a reference without an address".to_string()));
        };
        if let Some(first) = self.seen.get(&addr) {
            // Purity: an empty thing of the same kind now, the real target assigned later.
            self.out.extend_from_slice(match v.unblessed() {
                Value::Hash(_) => b"{}".as_slice(),
                Value::Array(_) => b"[]",
                _ => b"do{my $o}",
            });
            let mut fixup = name.to_vec();
            fixup.extend_from_slice(b" = ");
            fixup.extend_from_slice(first);
            self.fixups.push(fixup);
            return Ok(None);
        }
        self.seen.insert(addr, name.to_vec());
        let (thing, blessed) = match v {
            Value::Object(object) => {
                if !object.value.is_ref() || matches!(object.value, Value::Object(_)) {
                    return Err(unsupported(format!(
                        "an object of class {:?} must hold an unblessed reference, not {:?}",
                        object.class, object.value
                    )));
                }
                self.out.extend_from_slice(b"bless( ");
                let mut close = b", ".to_vec();
                // Perl keeps a package name as bytes when it can, else as UTF-8, and
                // Data::Dumper copies those bytes into single quotes either way.
                let class = object.class.downgraded();
                let class = class.as_ref().unwrap_or(&object.class);
                write_single_quoted(&mut close, class.as_bytes());
                close.extend_from_slice(b" )");
                self.stack.push(Frame::Close(close));
                (&object.value, true)
            }
            other => (other, false),
        };
        match thing {
            Value::Array(items) => {
                self.out.push(b'[');
                self.stack.push(Frame::Array {
                    items: items.iter(),
                    next: 0,
                    prefix: subscript_prefix(name),
                    depth,
                });
            }
            Value::Hash(hash) => {
                self.out.push(b'{');
                self.stack.push(Frame::Hash {
                    entries: hash.iter(),
                    first: true,
                    prefix: subscript_prefix(name),
                    depth,
                });
            }
            Value::Scalar(target) if blessed => {
                // A blessed scalar needs a fresh variable to bless (Dumper.xs).
                self.out.extend_from_slice(b"do{\\(my $o = ");
                self.stack.push(Frame::Close(b")}".to_vec()));
                return Ok(Some(target));
            }
            Value::Scalar(target) => {
                self.out.push(b'\\');
                return Ok(Some(target));
            }
            Value::Regexp(regexp) => write_regexp(&mut self.out, regexp)?,
            Value::Code => self.out.extend_from_slice(DUMMY_SUB),
            Value::Undef | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Object(_) => {
                return Err(unsupported(format!("{thing:?} is not a reference")))
            }
        }
        Ok(None)
    }
}

const DUMMY_SUB: &[u8] = br#"sub { "DUMMY" }"#;

/// Writes `v` if it is not a reference with an identity (a plain scalar or a code ref);
/// gives whether it did.
fn write_plain(out: &mut Vec<u8>, v: &Value, depth: usize) -> Result<bool, Error> {
    match v {
        Value::Undef => out.extend_from_slice(b"undef"),
        Value::Int(i) => {
            // Longer integers are quoted "so that a 32 bit system reading the number
            // copes better" (Dumper.xs); the sign counts (spec §7.1).
            let bare = (-999_999_999..=9_999_999_999).contains(i);
            if bare {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                write_single_quoted(out, i.to_string().as_bytes());
            }
        }
        // An NV is never IOK, so Data::Dumper quotes its string form.
        Value::Float(f) => write_single_quoted(out, format_float(*f).as_bytes()),
        Value::Str(s) => write_string(out, s),
        // A code ref has no identity in the model; each one is its own dummy.
        Value::Code => {
            check_depth(depth)?;
            out.extend_from_slice(DUMMY_SUB);
        }
        Value::Array(_)
        | Value::Hash(_)
        | Value::Scalar(_)
        | Value::Object(_)
        | Value::Regexp(_) => return Ok(false),
    }
    Ok(true)
}

/// The start of an element's name: `$D` becomes `$D->`, `$D->{'a'}` stays as it is,
/// and `${$D->{'a'}}` becomes `${$D->{'a'}}->` (the arrow rule of `DD_dump`).
fn subscript_prefix(name: &[u8]) -> Vec<u8> {
    let mut prefix = name.to_vec();
    if needs_arrow(name) {
        prefix.extend_from_slice(b"->");
    }
    prefix
}

fn needs_arrow(name: &[u8]) -> bool {
    let n = name.len();
    (n > 0 && name[n - 1] != b']' && name[n - 1] != b'}')
        || (n > 4 && (name[1] == b'{' || (name[0] == b'\\' && name[2] == b'{')))
}

/// A string or hash key as `esc_q_utf8` writes it with `Useqq(0)`: double quotes only
/// for a character string with a non-ASCII character, single quotes otherwise.
fn write_string(out: &mut Vec<u8>, s: &PerlString) {
    if !s.is_utf8() || s.is_ascii() {
        write_single_quoted(out, s.as_bytes());
        return;
    }
    out.push(b'"');
    for c in s.code_points() {
        match u8::try_from(c) {
            Ok(b @ (b'"' | b'\\' | b'$' | b'@')) => out.extend_from_slice(&[b'\\', b]),
            // Every other ASCII byte, controls included, is copied raw (Useqq(0)).
            Ok(b) if b.is_ascii() => out.push(b),
            _ => out.extend_from_slice(format!("\\x{{{c:x}}}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// `'...'` with only `\` and `'` escaped; every other byte raw (spec §7.1).
fn write_single_quoted(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'\'');
    for &b in bytes {
        if b == b'\\' || b == b'\'' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\'');
}

/// `qr/PATTERN/FLAGS` as `dump_regexp` in Dumper.xs writes it: an unescaped `/`
/// becomes `\/`, a `$` that is not an end anchor becomes `${\q($)}`, and in a
/// character-string pattern each non-ASCII character becomes `\x{...}` (even right
/// after a backslash, which Data::Dumper does too).
fn write_regexp(out: &mut Vec<u8>, regexp: &Regexp) -> Result<(), Error> {
    if !regexp.flags.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(unsupported(format!(
            "regexp flags {:?} are not letters",
            regexp.flags
        )));
    }
    let bytes = regexp.pattern.as_bytes();
    if runs_code(bytes) {
        return Err(unsupported(
            "a regexp with code in it (`(?{...})`) is not written".to_string(),
        ));
    }
    let utf8 = regexp.pattern.is_utf8();
    out.extend_from_slice(b"qr/");
    let mut copied = 0;
    let mut p = 0;
    while p < bytes.len() {
        let mut k = bytes[p];
        let backslashed = k == b'\\';
        if backslashed {
            p += 1;
            let Some(&next) = bytes.get(p) else {
                return Err(unsupported(
                    "a regexp pattern ending in a lone backslash".to_string(),
                ));
            };
            k = next;
        }
        let anchor_end = p + 1 == bytes.len() || matches!(bytes.get(p + 1), Some(b'|' | b')'));
        if !backslashed && k == b'/' {
            out.extend_from_slice(&bytes[copied..p]);
            out.extend_from_slice(b"\\/");
            p += 1;
        } else if !backslashed && k == b'$' && !anchor_end {
            out.extend_from_slice(&bytes[copied..p]);
            out.extend_from_slice(b"${\\q($)}");
            p += 1;
        } else if utf8 && !k.is_ascii() {
            out.extend_from_slice(&bytes[copied..p]);
            let (c, len) = decode_lax(&bytes[p..]).unwrap_or((k as u32, 1));
            out.extend_from_slice(format!("\\x{{{c:x}}}").as_bytes());
            p += len;
        } else {
            p += 1;
            continue;
        }
        copied = p;
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'/');
    out.extend_from_slice(regexp.flags.as_bytes());
    Ok(())
}

/// A reference inside `depth` others nests `depth + 1` deep, as [`Value::depth`] counts.
fn check_depth(depth: usize) -> Result<(), Error> {
    if depth >= MAX_DEPTH {
        return Err(unsupported(format!(
            "data nested deeper than {MAX_DEPTH} references"
        )));
    }
    Ok(())
}

fn unsupported(message: String) -> Error {
    Error::Unsupported {
        format: FORMAT,
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Value;

    fn dump(v: &Value) -> String {
        String::from_utf8_lossy(&freeze(v).unwrap()).into_owned()
    }

    fn re(pattern: PerlString, flags: &str) -> Value {
        Value::Regexp(Arc::new(Regexp {
            pattern,
            flags: flags.to_string(),
        }))
    }

    #[test]
    fn integers_are_bare_up_to_ten_characters() {
        let v = Value::array([
            Value::Int(1234567890),
            Value::Int(-123456789),
            Value::Int(-1234567890),
            Value::Int(12345678901),
            Value::Int(i64::MIN),
            Value::Int(0),
        ]);
        assert_eq!(
            dump(&v),
            "$D = [1234567890,-123456789,'-1234567890','12345678901','-9223372036854775808',0];;$D"
        );
    }

    #[test]
    fn floats_are_quoted_as_perl_prints_them() {
        let v = Value::array([3.25, 1e20, 1000.0, 0.1 + 0.2, f64::INFINITY, f64::NAN]);
        assert_eq!(
            dump(&v),
            "$D = ['3.25','1e+20','1000','0.3','Inf','NaN'];;$D"
        );
    }

    #[test]
    fn byte_strings_escape_only_backslash_and_quote() {
        let v = Value::array([
            Value::bytes(b"it's \\ \"$x@y\"\n\0\xe9".to_vec()),
            Value::Str(PerlString::from_utf8_internal(b"ascii".to_vec()).unwrap()),
        ]);
        assert_eq!(
            freeze(&v).unwrap(),
            b"$D = ['it\\'s \\\\ \"$x@y\"\n\0\xe9','ascii'];;$D"
        );
    }

    #[test]
    fn character_strings_use_double_quotes_and_hex_escapes() {
        let v = Value::from("it's caf\u{e9} \u{263a} \\\"$@\n");
        assert_eq!(
            dump(&v),
            "$D = \"it's caf\\x{e9} \\x{263a} \\\\\\\"\\$\\@\n\";;$D"
        );
    }

    #[test]
    fn keys_are_always_quoted() {
        let v = Value::hash([
            ("10", Value::Int(1)),
            ("", Value::Int(2)),
            ("-x", Value::Int(3)),
            ("\u{263a}", Value::Int(4)),
        ]);
        assert_eq!(
            dump(&v),
            "$D = {'' => 2,'-x' => 3,'10' => 1,\"\\x{263a}\" => 4};;$D"
        );
    }

    #[test]
    fn references_objects_code_and_regexps() {
        let v = Value::array([
            Value::scalar_ref("str"),
            Value::scalar_ref(Value::scalar_ref(Value::Undef)),
            Value::blessed("Foo", Value::hash([("a", 1)])),
            Value::blessed("Sc", Value::scalar_ref("q")),
            Value::blessed("O'Neil", Value::array(Vec::<Value>::new())),
            Value::blessed("Caf\u{e9}", Value::Code),
            Value::blessed("K\u{263a}", Value::Code),
            Value::Code,
            re(PerlString::from_text("ab+c"), "i"),
        ]);
        assert_eq!(
            dump(&v),
            "$D = [\\'str',\\\\undef,bless( {'a' => 1}, 'Foo' ),\
             bless( do{\\(my $o = 'q')}, 'Sc' ),bless( [], 'O\\'Neil' ),\
             bless( sub { \"DUMMY\" }, 'Caf\u{fffd}' ),bless( sub { \"DUMMY\" }, 'K\u{263a}' ),\
             sub { \"DUMMY\" },qr/ab+c/i];;$D"
        );
    }

    #[test]
    fn regexp_patterns_are_escaped_as_dumper_xs_does() {
        let cases: &[(PerlString, &str, &str)] = &[
            (PerlString::from_text("a/b"), "", r"qr/a\/b/"),
            (PerlString::from_text(r"a\/b"), "", r"qr/a\/b/"),
            (PerlString::from_text("a$b"), "", r"qr/a${\q($)}b/"),
            (PerlString::from_text("a$|(b$)$"), "", "qr/a$|(b$)$/"),
            (PerlString::from_text(r"\$x"), "", r"qr/\$x/"),
            (
                PerlString::from_text("\u{263a}/\u{e9}"),
                "u",
                r"qr/\x{263a}\/\x{e9}/u",
            ),
            (
                PerlString::from_bytes(b"caf\xe9".to_vec()),
                "",
                "qr/caf\u{fffd}/",
            ),
        ];
        for (pattern, flags, want) in cases {
            let got = freeze(&re(pattern.clone(), flags)).unwrap();
            let got = String::from_utf8_lossy(&got);
            assert_eq!(got, format!("$D = {want};;$D"), "{pattern:?}");
        }
        assert!(freeze(&re(PerlString::from_text("a\\"), "")).is_err());
        assert!(freeze(&re(PerlString::from_text("a"), "i/")).is_err());
    }

    /// The spec's own fix-up examples (§7.1), which real Perl reproduces.
    #[test]
    fn repeated_references_become_placeholders_and_fixups() {
        let x = Value::array([1]);
        let v = Value::hash([("x", x.clone()), ("y", x)]);
        assert_eq!(
            dump(&v),
            "$D = {'x' => [1],'y' => []};$D->{'y'} = $D->{'x'};;$D"
        );

        let b = Value::array([1]);
        let a = Value::hash([("b", b.clone())]);
        let v = Value::hash([("a", a.clone()), ("c", b), ("d", a)]);
        assert_eq!(
            dump(&v),
            "$D = {'a' => {'b' => [1]},'c' => [],'d' => {}};\
             $D->{'c'} = $D->{'a'}{'b'};$D->{'d'} = $D->{'a'};;$D"
        );

        let s = Value::scalar_ref(1);
        let v = Value::hash([("x", s.clone()), ("y", s)]);
        assert_eq!(
            dump(&v),
            "$D = {'x' => \\1,'y' => do{my $o}};$D->{'y'} = $D->{'x'};;$D"
        );

        let o = Value::blessed("Foo", Value::hash(Vec::<(&str, Value)>::new()));
        let v = Value::hash([
            ("a", o.clone()),
            ("b", o.clone()),
            ("c", Value::scalar_ref(o)),
        ]);
        assert_eq!(
            dump(&v),
            "$D = {'a' => bless( {}, 'Foo' ),'b' => {},'c' => \\{}};\
             $D->{'b'} = $D->{'a'};${$D->{'c'}} = $D->{'a'};;$D"
        );
    }

    #[test]
    fn paths_through_scalar_refs_use_an_arrow() {
        let h = Value::hash([("k", 1)]);
        let v = Value::array([Value::scalar_ref(Value::scalar_ref(h.clone())), h]);
        assert_eq!(
            dump(&v),
            "$D = [\\\\{'k' => 1},{}];$D->[1] = ${${$D->[0]}};;$D"
        );
        let inner = Value::array([1]);
        let v = Value::scalar_ref(Value::array([inner.clone(), inner]));
        assert_eq!(dump(&v), "$D = \\[[1],[]];${$D}->[1] = ${$D}->[0];;$D");
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = Value::Int(1);
        for _ in 0..MAX_DEPTH {
            v = Value::array([v]);
        }
        assert!(freeze(&v).is_ok());
        let too_deep = Value::array([v]);
        assert!(matches!(freeze(&too_deep), Err(Error::Unsupported { .. })));
    }

    #[test]
    fn blessing_a_plain_scalar_is_refused() {
        let v = Value::blessed("Foo", Value::Int(1));
        assert!(matches!(freeze(&v), Err(Error::Unsupported { .. })));
    }
}
