//! From parsed nodes to Perl values, as `yaml_syck_parser_handler` (perl_syck.h)
//! builds them with `$YAML::Syck::LoadBlessed = 1` and `ImplicitTyping = 0`.
//!
//! Untagged scalars are byte strings (a plain `~` is undef); tags choose the rest:
//! `!!perl/hash:Class` and friends bless, `!!perl/ref` makes a reference from the
//! mapping `{"=": target}`, `!!perl/scalar`, `!!perl/code` and `!!perl/regexp` make
//! what their names say, a few core tags (`!int`, `!float`, `!null`, `!binary`, ...)
//! make numbers, undef or decoded bytes, and any other tag on a collection blesses
//! it into a class named after the tag, as Syck does.

use std::collections::HashMap;
use std::sync::Arc;

use super::{syntax, unsupported};
use crate::number::numify;
use crate::value::Regexp;
use crate::{Error, Hash, PerlString, Value, MAX_DEPTH};

/// A built node: its value, its depth as [`Value::depth`] counts it, and the anchor it
/// was defined or aliased with (the Perl scalar a `!!perl/ref` points at).
pub(super) struct Node {
    pub value: Value,
    pub depth: usize,
    pub anchor: Option<usize>,
}

impl Node {
    fn plain(value: Value, depth: usize) -> Node {
        Node {
            value,
            depth,
            anchor: None,
        }
    }
}

/// What a node holds before its tag is applied.
pub(super) enum Content {
    /// Nothing at all (`key:` with no value).
    Empty,
    /// A scalar's text, and whether it was plain (unquoted).
    Scalar(Vec<u8>, bool),
    Seq(Vec<Node>),
    /// Keys and values in document order (`!!perl/ref` uses the first pair).
    Map(Vec<(Node, Node)>),
}

/// The anchors of one document, as Syck keeps them: an `&name` token forgets any
/// earlier node of that name at once (`syck_hdlr_remove_anchor`), and the name is
/// bound again only if its node takes it, which a node that already has an anchor
/// does not (`&1 &2 [..]` binds `2`; `&1 *2` binds nothing).
#[derive(Default)]
pub(super) struct Anchors {
    entries: Vec<Anchored>,
    names: HashMap<Vec<u8>, Binding>,
    /// Anchors whose node is being read: an alias to one would be a cycle.
    open: Vec<Vec<u8>>,
}

enum Binding {
    /// Seen as `&name`, bound to no node (yet).
    Pending,
    Bound(usize),
}

struct Anchored {
    value: Value,
    depth: usize,
    /// The Perl scalar itself, once a `!!perl/ref` points at it: every such reference
    /// shares it.
    target: Option<Arc<Value>>,
}

impl Anchors {
    /// An `&name` token.
    pub fn declare(&mut self, name: &[u8]) {
        self.names.insert(name.to_vec(), Binding::Pending);
    }

    pub fn open(&mut self, name: &[u8]) {
        self.open.push(name.to_vec());
    }

    /// Binds the finished node to its anchor.
    pub fn define(&mut self, name: &[u8], node: Node) -> Node {
        self.open.retain(|open| open != name);
        self.bind(name, node)
    }

    fn bind(&mut self, name: &[u8], node: Node) -> Node {
        let index = self.entries.len();
        self.entries.push(Anchored {
            value: node.value.clone(),
            depth: node.depth,
            target: None,
        });
        self.names.insert(name.to_vec(), Binding::Bound(index));
        Node {
            anchor: Some(index),
            ..node
        }
    }

    /// `*name`: the anchored node again (sharing its references). A name bound to
    /// nothing gives Syck's placeholder, `bless({name => NAME}, 'YAML::Syck::BadAlias')`,
    /// as Perl does: one shared placeholder for a name that was declared, a new one
    /// each time for a name never seen. An alias inside its own anchor's node is a
    /// cycle, which a [`Value`] cannot hold.
    pub fn alias(&mut self, name: &[u8], at: usize) -> Result<Node, Error> {
        if self.open.iter().any(|open| open == name) {
            return Err(unsupported(format!(
                "alias *{} at byte {at} refers to the node that contains it: a cycle",
                name.escape_ascii()
            )));
        }
        let bad = || {
            let fields = Value::hash([("name", Value::bytes(name.to_vec()))]);
            Node::plain(Value::blessed("YAML::Syck::BadAlias", fields), 1)
        };
        Ok(match self.names.get(name) {
            Some(&Binding::Bound(index)) => {
                let entry = &self.entries[index];
                Node {
                    value: entry.value.clone(),
                    depth: entry.depth,
                    anchor: Some(index),
                }
            }
            Some(Binding::Pending) => self.bind(name, bad()),
            None => bad(),
        })
    }

    /// The scalar a reference points at: the anchored one if the node has an anchor.
    fn target(&mut self, node: Node) -> Arc<Value> {
        match node.anchor {
            Some(index) => {
                let entry = &mut self.entries[index];
                entry
                    .target
                    .get_or_insert_with(|| Arc::new(entry.value.clone()))
                    .clone()
            }
            None => Arc::new(node.value),
        }
    }
}

/// Applies the tag (leading `!`s already stripped) to the content, as Syck's handler does.
pub(super) fn build(
    anchors: &mut Anchors,
    tag: Option<&[u8]>,
    content: Content,
    at: usize,
) -> Result<Node, Error> {
    let node = match (content, tag) {
        (Content::Empty, None) => Node::plain(Value::Undef, 0),
        (Content::Empty, Some(tag)) => tagged_scalar(tag, Vec::new(), true),
        (Content::Scalar(text, true), None) => {
            let value = if text == b"~" {
                Value::Undef
            } else {
                Value::bytes(text)
            };
            Node::plain(value, 0)
        }
        // Syck's scanner tags a quoted scalar `str`, which matters only for "=" below.
        (Content::Scalar(text, false), None) => tagged_scalar(b"str", text, false),
        (Content::Scalar(text, plain), Some(tag)) => tagged_scalar(tag, text, plain),
        (Content::Seq(items), tag) => {
            let depth = 1 + items.iter().map(|n| n.depth).max().unwrap_or(0);
            let value = Value::array(items.into_iter().map(|n| n.value));
            Node::plain(bless(value, tag, b"array:", b'@'), depth)
        }
        (Content::Map(pairs), Some(tag)) if is_kind(tag, b"perl/ref") => {
            ref_map(anchors, tag, pairs, at)?
        }
        (Content::Map(pairs), Some(tag)) if is_kind(tag, b"perl/regexp") => {
            regexp_map(tag, pairs, at)?
        }
        (Content::Map(pairs), tag) => {
            let depth = 1 + pairs.iter().map(|(_, v)| v.depth).max().unwrap_or(0);
            let mut hash = Hash::new();
            for (key, value) in pairs {
                // A repeated key keeps its last value, as `hv_store_ent` does.
                hash.insert(key_string(&key.value, at)?, value.value);
            }
            Node::plain(bless(Value::from(hash), tag, b"hash:", b'%'), depth)
        }
    };
    if node.depth > MAX_DEPTH {
        return Err(syntax(
            at,
            format!("data nested deeper than {MAX_DEPTH} references"),
        ));
    }
    if let Value::Regexp(re) = node.value.unblessed() {
        if let Some(why) = Regexp::code_refusal(re.pattern.as_bytes()) {
            return Err(unsupported(format!("at byte {at}: {why}")));
        }
    }
    Ok(node)
}

/// `id` is `kind` or starts with `kind:`.
fn is_kind(id: &[u8], kind: &[u8]) -> bool {
    id.strip_prefix(kind)
        .is_some_and(|rest| rest.is_empty() || rest[0] == b':')
}

/// C's `strtok(id, "/:")` then `strtok(NULL, "")`: the language (before the first `/`
/// or `:`, leading ones skipped) and the rest after that one delimiter.
fn split_tag(id: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let delim = |b: &u8| *b == b'/' || *b == b':';
    let Some(start) = id.iter().position(|b| !delim(b)) else {
        return (None, None);
    };
    let rest = &id[start..];
    match rest.iter().position(delim) {
        None => (Some(rest), None),
        Some(end) => {
            let after = &rest[end + 1..];
            (Some(&rest[..end]), (!after.is_empty()).then_some(after))
        }
    }
}

/// The class a tagged collection is blessed into (Syck's rule, shared by sequences,
/// mappings, references and regexps): `perl/KIND:Class` gives `Class`; a bare
/// `perl/KIND` nothing; another language `lang/type` gives `lang::type`.
fn class_of(id: &[u8], kind_prefix: &[u8], sigil: u8) -> Option<Vec<u8>> {
    let (lang, kind) = split_tag(id);
    let kind = kind.map(|k| k.strip_prefix(kind_prefix).unwrap_or(k));
    let kind = kind.map(|k| &k[k.iter().take_while(|&&b| b == sigil).count()..]);
    match lang {
        None | Some(b"perl") => {
            let kind = kind?;
            let bare = &kind_prefix[..kind_prefix.len() - 1];
            (!kind.is_empty() && kind != bare).then(|| kind.to_vec())
        }
        Some(lang) => Some(match kind {
            Some(kind) => [lang, b"::", kind].concat(),
            None => lang.to_vec(),
        }),
    }
}

fn bless(value: Value, tag: Option<&[u8]>, kind_prefix: &[u8], sigil: u8) -> Value {
    match tag.and_then(|id| class_of(id, kind_prefix, sigil)) {
        Some(class) => Value::blessed(PerlString::from_bytes(class), value),
        None => value,
    }
}

/// A mapping key: a plain scalar as Perl stringifies it (undef is the empty string).
fn key_string(key: &Value, at: usize) -> Result<PerlString, Error> {
    key.to_perl_string().ok_or_else(|| {
        unsupported(format!(
            "a mapping key at byte {at} is a collection or reference"
        ))
    })
}

/// `!!perl/ref`: a reference to the first pair's value, blessed into the key's name
/// when the key is not `=`.
fn ref_map(
    anchors: &mut Anchors,
    id: &[u8],
    pairs: Vec<(Node, Node)>,
    at: usize,
) -> Result<Node, Error> {
    let (key, target) = first_pair(pairs, "!!perl/ref", at)?;
    let depth = 1 + target.depth;
    let reference = Value::Scalar(anchors.target(target));
    let class = if key.as_bytes() == b"=" {
        class_of(id, b"ref:", 0)
    } else {
        Some(key_class(key))
    };
    let value = match class {
        Some(class) => Value::blessed(PerlString::from_bytes(class), reference),
        None => reference,
    };
    Ok(Node::plain(value, depth))
}

/// `!!perl/regexp` as a mapping `{REGEXP: pattern}` (YAML.pm's form).
fn regexp_map(id: &[u8], pairs: Vec<(Node, Node)>, at: usize) -> Result<Node, Error> {
    let (key, pattern) = first_pair(pairs, "!!perl/regexp", at)?;
    let Some(text) = pattern.value.to_perl_string() else {
        return Err(unsupported(format!(
            "the pattern of the regexp at byte {at} is not a string"
        )));
    };
    let class = if key.as_bytes() == b"REGEXP" {
        class_of(id, b"regexp:", 0)
    } else {
        Some(key_class(key))
    };
    Ok(Node::plain(regexp(text.as_bytes(), class), 1))
}

/// Syck's "weird audrey" form blesses into the key's name; Perl blesses into `main`
/// for an empty one.
fn key_class(key: PerlString) -> Vec<u8> {
    if key.is_empty() {
        b"main".to_vec()
    } else {
        key.into_bytes()
    }
}

fn first_pair(pairs: Vec<(Node, Node)>, tag: &str, at: usize) -> Result<(PerlString, Node), Error> {
    let Some((key, value)) = pairs.into_iter().next() else {
        return Err(unsupported(format!(
            "{tag} at byte {at} is an empty mapping"
        )));
    };
    if key.value.is_undef() {
        return Err(unsupported(format!(
            "{tag} at byte {at} has an undefined key"
        )));
    }
    Ok((key_string(&key.value, at)?, value))
}

/// `YAML::Syck::__qr_helper`: `(?FLAGS:BODY)` with flags from its table becomes
/// `qr{BODY}FLAGS`; anything else (Perl's own `(?^i:...)` included) becomes
/// `qr/TEXT/`, whose pattern is the text itself.
fn regexp(text: &[u8], class: Option<Vec<u8>>) -> Value {
    const FLAGS: [&[u8]; 16] = [
        b"", b"x", b"i", b"s", b"m", b"ix", b"sx", b"mx", b"si", b"mi", b"ms", b"six", b"mix",
        b"msx", b"msi", b"msix",
    ];
    let flag = |b: &u8| matches!(b, b'i' | b'x' | b's' | b'm');
    let helper = text
        .strip_prefix(b"(?")
        .and_then(|rest| rest.strip_suffix(b")"))
        .and_then(|inner| {
            let on = inner.iter().take_while(|b| flag(b)).count();
            let mut rest = &inner[on..];
            if let Some(off) = rest.strip_prefix(b"-") {
                rest = &off[off.iter().take_while(|b| flag(b)).count()..];
            }
            let body = rest.strip_prefix(b":")?;
            // `(.*)` without /s: the body is one line.
            (!body.contains(&b'\n')).then_some((&inner[..on], body))
        });
    let (pattern, flags) = match helper {
        Some((flags, body)) => (body, if FLAGS.contains(&flags) { flags } else { b"" }),
        None => (text, &b""[..]),
    };
    let re = Value::Regexp(Arc::new(Regexp {
        pattern: PerlString::from_bytes(pattern),
        flags: String::from_utf8_lossy(flags).into_owned(),
    }));
    match class {
        Some(class) => Value::blessed(PerlString::from_bytes(class), re),
        None => re,
    }
}

/// A tagged scalar, in the order of Syck's handler: core types, then Perl's.
fn tagged_scalar(id: &[u8], text: Vec<u8>, plain: bool) -> Node {
    let undef_text = plain && text == b"~";
    let value = match id {
        b"null" => Value::Undef,
        // PL_sv_yes and PL_sv_no: Perl reads them as 1 and "".
        b"bool#yes" => Value::Int(1),
        b"bool#no" => Value::bytes(""),
        b"float#nan" => Value::Float(f64::NAN),
        b"float#inf" => Value::Float(f64::INFINITY),
        b"float#neginf" => Value::Float(f64::NEG_INFINITY),
        b"float#base60" => Value::Float(base60(&text, |piece| numify(piece).as_f64())),
        _ if id.starts_with(b"float") => Value::Float(numify(&without_commas(&text)).as_f64()),
        b"int#base60" => int_value(base60(&text, |piece| numify(piece).as_i64() as f64)),
        b"int#hex" => unsigned(radix(&text, 16)),
        b"int#oct" => unsigned(radix(&text, 8)),
        b"int" => integer(&without_commas(&text)),
        b"binary" => Value::bytes(base64(&text)),
        _ if is_kind(id, b"perl/code") => {
            let class = id.get(10..).filter(|c| !c.is_empty());
            let code = Value::Code;
            return Node::plain(
                class.map_or(code.clone(), |c| {
                    Value::blessed(PerlString::from_bytes(c), code)
                }),
                1,
            );
        }
        // `!perl/Foo =`: "type tag in a scalar ref", the type's name as a string. Syck
        // compares two bytes of a C string, so "=" followed by a NUL counts too.
        _ if text == b"=" || text.starts_with(b"=\0") => Value::bytes(match split_tag(id) {
            (None | Some(b"perl"), kind) => kind.unwrap_or_default().to_vec(),
            (Some(lang), Some(kind)) => [lang, b"::", kind].concat(),
            (Some(lang), None) => lang.to_vec(),
        }),
        _ if is_kind(id, b"perl/scalar") => {
            let inner = if undef_text {
                Value::Undef
            } else {
                Value::bytes(text)
            };
            let reference = Value::scalar_ref(inner);
            let value = match id.get(12..).filter(|c| !c.is_empty()) {
                Some(class) => Value::blessed(PerlString::from_bytes(class), reference),
                None => reference,
            };
            return Node::plain(value, 1);
        }
        _ if is_kind(id, b"perl/regexp") => {
            return Node::plain(regexp(&text, class_of(id, b"regexp:", 0)), 1)
        }
        _ => Value::bytes(text),
    };
    Node::plain(value, 0)
}

fn without_commas(text: &[u8]) -> Vec<u8> {
    text.iter().copied().filter(|&b| b != b',').collect()
}

/// `int`: an integer that fits stays one; anything else is Perl's `Atof`.
fn integer(text: &[u8]) -> Value {
    let trimmed = text.trim_ascii();
    let digits = trimmed.strip_prefix(b"+").unwrap_or(trimmed);
    match std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(i)
            if digits
                .iter()
                .skip(usize::from(digits.first() == Some(&b'-')))
                .all(u8::is_ascii_digit) =>
        {
            Value::Int(i)
        }
        _ => Value::Float(numify(text).as_f64()),
    }
}

/// A UV: an `i64` if it fits, else a float.
fn unsigned(n: u64) -> Value {
    i64::try_from(n).map_or(Value::Float(n as f64), Value::Int)
}

/// A sexagesimal integer: an `i64` if it is one, else a float.
fn int_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        Value::Int(n as i64)
    } else {
        Value::Float(n)
    }
}

/// `grok_hex`/`grok_oct`: digits of the radix (after `0x`/`x` for hex) up to the first other byte.
fn radix(text: &[u8], base: u32) -> u64 {
    let text = without_commas(text);
    let mut digits = &text[..];
    if base == 16 {
        digits = digits
            .strip_prefix(b"0x")
            .or_else(|| digits.strip_prefix(b"x"))
            .unwrap_or(digits);
    }
    let mut n: u64 = 0;
    for &b in digits {
        let Some(d) = (b as char).to_digit(base) else {
            break;
        };
        n = n.saturating_mul(base as u64).saturating_add(d as u64);
    }
    n
}

/// `1:30:00`: each piece times the power of 60 of its place from the right.
fn base60(text: &[u8], piece_value: impl Fn(&[u8]) -> f64) -> f64 {
    let text = without_commas(text);
    let mut total = 0.0;
    let mut sixty = 1.0;
    for piece in text.rsplit(|&b| b == b':') {
        total += piece_value(piece) * sixty;
        sixty *= 60.0;
    }
    total
}

/// Syck's `syck_base64dec`: groups of four, line breaks skipped between groups,
/// decoding stops at the first byte outside the alphabet, `=` padding ends it.
fn base64(text: &[u8]) -> Vec<u8> {
    let value = |b: Option<&u8>| -> Option<u8> {
        let b = *b?;
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut s = 0;
    let (mut a, mut b, mut c) = (None, None, Some(0));
    while s < text.len() {
        while matches!(text.get(s), Some(b'\r' | b'\n')) {
            s += 1;
        }
        a = value(text.get(s));
        b = a.and(value(text.get(s + 1)));
        c = b.and(value(text.get(s + 2)));
        let d = c.and(value(text.get(s + 3)));
        let (Some(a), Some(b), Some(c), Some(d)) = (a, b, c, d) else {
            break;
        };
        out.extend_from_slice(&[a << 2 | b >> 4, b << 4 | c >> 2, c << 6 | d]);
        s += 4;
    }
    if let (Some(a), Some(b)) = (a, b) {
        if text.get(s + 2) == Some(&b'=') {
            out.push(a << 2 | b >> 4);
        }
        if let (Some(c), Some(b'=')) = (c, text.get(s + 3)) {
            out.extend_from_slice(&[a << 2 | b >> 4, b << 4 | c >> 2]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_like_strtok() {
        assert_eq!(
            split_tag(b"perl/hash:Foo"),
            (Some(&b"perl"[..]), Some(&b"hash:Foo"[..]))
        );
        assert_eq!(split_tag(b"Foo"), (Some(&b"Foo"[..]), None));
        assert_eq!(split_tag(b"/x"), (Some(&b"x"[..]), None));
        assert_eq!(split_tag(b"::"), (None, None));
        assert_eq!(
            class_of(b"perl/hash:Foo::Bar", b"hash:", b'%').as_deref(),
            Some(&b"Foo::Bar"[..])
        );
        assert_eq!(class_of(b"perl/hash", b"hash:", b'%'), None);
        assert_eq!(class_of(b"perl/hash:", b"hash:", b'%'), None);
        assert_eq!(
            class_of(b"perl/@Foo", b"array:", b'@').as_deref(),
            Some(&b"Foo"[..])
        );
        assert_eq!(
            class_of(b"x/y:z", b"hash:", b'%').as_deref(),
            Some(&b"x::y:z"[..])
        );
        assert_eq!(
            class_of(b"map", b"hash:", b'%').as_deref(),
            Some(&b"map"[..])
        );
    }

    #[test]
    fn regexps_follow_the_qr_helper() {
        let re = |text: &str| match regexp(text.as_bytes(), None) {
            Value::Regexp(r) => (r.pattern.to_string(), r.flags.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(re("(?^i:ab+c)"), ("(?^i:ab+c)".into(), "".into()));
        assert_eq!(re("(?i:ab+c)"), ("ab+c".into(), "i".into()));
        assert_eq!(re("(?i-sm:ab+c)"), ("ab+c".into(), "i".into()));
        assert_eq!(re("(?xi:a)"), ("a".into(), "".into()));
        assert_eq!(re("(?i:a\nb)"), ("(?i:a\nb)".into(), "".into()));
    }

    #[test]
    fn base64_is_syck_s() {
        assert_eq!(base64(b"aGVsbG8="), b"hello");
        assert_eq!(base64(b"aGk="), b"hi");
        assert_eq!(base64(b"aA=="), b"h");
        assert_eq!(base64(b"aGVs\nbG8="), b"hello");
        assert_eq!(base64(b"aGV*bG8="), b"");
    }
}
