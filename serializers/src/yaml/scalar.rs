//! How YAML::Syck 1.34 writes one scalar: the style it picks (plain, `'single'` or
//! `"double"` quotes) and how it escapes bytes.
//!
//! This follows `yaml_syck_emitter_handler` (perl_syck.h), which asks for a style,
//! and `syck_emit_scalar`/`syck_scan_scalar` (emitter.c), which may overrule it. The
//! block styles (`|`, `>`) Syck can choose are written as double-quoted text by
//! YAML::Syck (`scalar_literal` falls through to `syck_emit_2quoted`), so only three
//! styles ever appear, on one line each except for the newlines a single-quoted
//! scalar folds.

/// The style the Perl handler asks for (`force_style`): `Any` is `scalar_none`,
/// which lets the emitter choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    /// Syck chooses: plain unless the text needs quotes.
    Any,
    /// Plain even if the text looks like something else (only `~` for undef).
    Plain,
    /// Single quotes: strings that look like numbers but are not simple integers,
    /// floats, the empty string, the code placeholder.
    Single,
    /// Double quotes: a key at the start of a line that would otherwise begin with
    /// `--- ` or `... `, which Syck's reader takes for a document marker (Syck itself
    /// writes it plain, and Perl then loses the rest of the record).
    Double,
}

/// One scalar to write.
pub(super) struct Scalar<'a> {
    /// The tag written before the text (`!!perl/scalar:Foo`), if any.
    pub tag: Option<&'a [u8]>,
    /// What the Perl handler asks for.
    pub request: Request,
    /// The bytes: a byte string as is, a character string as its UTF-8 encoding.
    pub text: &'a [u8],
    /// The string has Perl's UTF-8 flag: bytes above 0x7E are then written raw even
    /// in double quotes (Syck's "scalar_fold" escape mode).
    pub utf8: bool,
    /// The scalar is a mapping key: anything not plain is double-quoted.
    pub key: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// `syck_scan_scalar` flags that decide the style.
#[derive(Default)]
struct Scan {
    nonprint: bool,
    white_edge: bool,
    indented: bool,
    newline: bool,
    indicator: bool,
}

/// What Syck's scanner sees; `at(i)` past the end is the NUL that ends every Perl string.
fn scan(text: &[u8]) -> Scan {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let mut s = Scan::default();
    let Some(&first) = text.first() else {
        return s;
    };
    let len = text.len();
    let spaced = |b: u8| matches!(b, b' ' | b'\n');
    s.indicator = b"[]{}!*&|>'\"#%@`^".contains(&first)
        || (b"-:?,".contains(&first) && (matches!(at(1), b' ' | b'\n' | b'\r') || len == 1));
    s.white_edge =
        matches!(first, b' ' | b'\t') || (len > 1 && matches!(text[len - 1], b' ' | b'\t'));
    for (i, &c) in text.iter().enumerate() {
        let printable = matches!(c, b'\t' | b'\n' | b'\r' | 0x20..=0x7E | 0x80..=0xFF);
        if !printable {
            s.nonprint = true;
        } else if c == b'\n' {
            s.newline = true;
            s.indented |= matches!(at(i + 1), b' ' | b'\t');
        } else if (c == b' ' && at(i + 1) == b'#')
            || (c == b':' && (spaced(at(i + 1)) || i == len - 1))
        {
            s.indicator = true;
        }
    }
    s
}

/// Whether Syck's implicit typing would read the text as a boolean or null
/// (`syck_match_implicit` returning `bool#yes`, `bool#no` or `null`). Its re2c scanner
/// reads a signed `char` and stops at the first NUL; after a whole word its test is
/// `<= 0` (or `>= 1`), which a byte above 0x7F also passes, so `yes\xE9` counts as
/// `yes`. The one-letter words are followed by an exact `case 0x00` instead.
fn implicit_bool_or_null(text: &[u8]) -> bool {
    let end = text
        .iter()
        .position(|&b| b == 0 || b >= 0x80)
        .unwrap_or(text.len());
    let ends_cleanly = text.get(end).is_none_or(|&b| b == 0);
    match &text[..end] {
        b"y" | b"Y" | b"n" | b"N" | b"" => ends_cleanly,
        word => matches!(
            word,
            b"~" | b"yes"
                | b"Yes"
                | b"YES"
                | b"true"
                | b"True"
                | b"TRUE"
                | b"on"
                | b"On"
                | b"ON"
                | b"no"
                | b"No"
                | b"NO"
                | b"false"
                | b"False"
                | b"FALSE"
                | b"off"
                | b"Off"
                | b"OFF"
                | b"null"
                | b"Null"
                | b"NULL"
        ),
    }
}

/// Writes the scalar as `syck_emit_scalar` does, tag included.
pub(super) fn write(out: &mut Vec<u8>, s: &Scalar<'_>) {
    let flags = scan(s.text);
    let mut style = match s.request {
        Request::Plain => Style::Plain,
        Request::Single => Style::Single,
        Request::Double => Style::Double,
        // A newline asks for a literal block, which YAML::Syck writes double-quoted.
        Request::Any if flags.newline => Style::Double,
        Request::Any => Style::Plain,
    };
    // Text that reads back as a boolean or null is single-quoted, and Syck then skips
    // the tag: a blessed scalar holding "yes" loses its class. We keep the tag, which
    // Syck reads back correctly (see the module documentation).
    if s.request != Request::Plain && !s.text.is_empty() && implicit_bool_or_null(s.text) {
        style = Style::Single;
    }
    if let Some(tag) = s.tag {
        out.extend_from_slice(tag);
        out.push(b' ');
    }
    // Non-printables, blank edges (unless single-quoted), an indented line, an
    // indicator in plain text: all double-quoted.
    if flags.nonprint
        || (style != Style::Single && flags.white_edge)
        || flags.indented
        || (style == Style::Plain && flags.indicator)
    {
        style = Style::Double;
    }
    // "For now, all ambiguous keys are going to be double-quoted."
    if s.key && style != Style::Plain {
        style = Style::Double;
    }
    // `foo: :bar` would be a Ruby symbol; Syck quotes it for Ruby's sake.
    if style == Style::Plain && s.text.first() == Some(&b':') {
        style = Style::Double;
    }
    // Syck writes a value ending in CR plain, and its reader then takes the CR for
    // half of a CRLF line break and drops it (unless a comma precedes it). We quote it.
    if style == Style::Plain && !s.key && s.text.ends_with(b"\r") && !s.text.ends_with(b",\r") {
        style = Style::Double;
    }
    match style {
        Style::Plain => out.extend_from_slice(s.text),
        Style::Single => single_quoted(out, s.text),
        Style::Double => double_quoted(out, s.text, s.utf8),
    }
}

/// `syck_emit_1quoted`: `'` doubled, and a line break written as a blank line (one
/// `\n` more) unless it follows another line break.
fn single_quoted(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'\'');
    let mut line_start = 0;
    for (i, &c) in text.iter().enumerate() {
        match c {
            b'\'' => out.extend_from_slice(b"''"),
            b'\n' => {
                if text[line_start] != b'\n' || line_start == 0 {
                    out.extend_from_slice(b"\n\n");
                } else {
                    out.push(b'\n');
                }
                line_start = i + 1;
            }
            _ => out.push(c),
        }
    }
    out.push(b'\'');
}

/// `syck_emit_2quoted` with `syck_emitter_escape`: named escapes for the usual
/// controls, `\xHH` (upper-case) for other bytes below 0x20 and, in a byte string,
/// above 0x7E; a character string's UTF-8 bytes and DEL stay raw.
fn double_quoted(out: &mut Vec<u8>, text: &[u8], utf8: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    for &c in text {
        let named: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0 => b"\\0",
            0x07 => b"\\a",
            0x08 => b"\\b",
            0x0C => b"\\f",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x0B => b"\\v",
            0x1B => b"\\e",
            b'\n' => b"\\n",
            _ => b"",
        };
        if !named.is_empty() {
            out.extend_from_slice(named);
        } else if c < 0x20 || (!utf8 && c > 0x7E) {
            out.extend_from_slice(&[b'\\', b'x', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        } else {
            out.push(c);
        }
    }
    out.push(b'"');
}

/// `syck_str_is_unquotable_integer`: at most 9 bytes, `0`, or an optional `-` then a
/// first byte that is not `0` and digits after it. The first byte after the sign is
/// not checked, so `+5` and `.5` count too (Syck only asks after
/// `looks_like_number`).
pub(super) fn unquotable_integer(text: &[u8]) -> bool {
    if text.is_empty() || text.len() > 9 {
        return false;
    }
    if text == b"0" {
        return true;
    }
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    match digits.split_first() {
        Some((&first, rest)) => first != b'0' && rest.iter().all(u8::is_ascii_digit),
        None => true,
    }
}

/// Perl 5.36's `looks_like_number` on a string: `grok_number` (numeric.c) without
/// locale radix. Leading and trailing white space, `Inf`/`Infinity`/`NaN` in any case
/// (with NaN's `q`/`s`/payload forms, and `1.#INF`), and `"0 but true"` all count.
pub(super) fn looks_like_number(text: &[u8]) -> bool {
    let send = text.len();
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let mut s = 0;
    while s < send && perl_space(text[s]) {
        s += 1;
    }
    if s == send {
        return false;
    }
    // `numtype` in C: a sign alone (`"- "`) counts, as it does in Perl.
    let negative = text[s] == b'-';
    if matches!(text[s], b'-' | b'+') {
        s += 1;
        if s == send {
            return false;
        }
    }
    let d = s;
    let digits = |mut s: usize| {
        while s < send && text[s].is_ascii_digit() {
            s += 1;
        }
        s
    };
    if at(s).is_ascii_digit() {
        s = digits(s);
        if s < send && text[s] == b'.' {
            s = digits(s + 1);
        }
    } else if at(s) == b'.' {
        if !(s + 1 < send && text[s + 1].is_ascii_digit()) {
            return false;
        }
        s = digits(s + 1);
    }
    let number = s > d;
    if number && s < send && matches!(text[s], b'e' | b'E') {
        s += 1;
        if s < send && matches!(text[s], b'-' | b'+') {
            s += 1;
        }
        if !(s < send && text[s].is_ascii_digit()) {
            return false;
        }
        s = digits(s);
    }
    while s < send && perl_space(text[s]) {
        s += 1;
    }
    if s >= send {
        return number || negative;
    }
    if text == b"0 but true" {
        return true;
    }
    // Inf or NaN, rescanned from the first byte after the sign (`d`).
    s + 2 < send && b"inqs#".contains(&text[s].to_ascii_lowercase()) && infnan(&text[d..])
}

/// Perl's `isSPACE` on a byte.
fn perl_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// `grok_infnan` from its start: true when the whole rest is an infinity or a NaN
/// (with trailing white space), false when anything trails it.
fn infnan(text: &[u8]) -> bool {
    let send = text.len();
    let fold = |i: usize| text.get(i).map(u8::to_ascii_lowercase);
    let mut s = 0;
    let mut one_dot_hash = false;
    if text.first() == Some(&b'1') {
        // Visual C's 1.#INF, 1.#IND, 1#INF.
        s = 1;
        if fold(s) == Some(b'.') {
            s += 1;
        }
        if fold(s) != Some(b'#') {
            return false;
        }
        s += 1;
        one_dot_hash = true;
    }
    let tail_is_space = |from: usize| text[from.min(send)..].iter().all(|&b| perl_space(b));
    if fold(s) == Some(b'i') {
        if fold(s + 1) != Some(b'n') {
            return false;
        }
        s += 2;
        match fold(s) {
            Some(b'f') => {
                s += 1;
                if fold(s) == Some(b'i') {
                    if text.len() < s + 5 || !text[s..s + 5].eq_ignore_ascii_case(b"inity") {
                        return false;
                    }
                    s += 5;
                } else if one_dot_hash {
                    while fold(s) == Some(b'0') {
                        s += 1;
                    }
                }
                tail_is_space(s)
            }
            Some(b'd') if one_dot_hash => {
                s += 1;
                while fold(s) == Some(b'0') {
                    s += 1;
                }
                tail_is_space(s)
            }
            _ => false,
        }
    } else {
        if matches!(fold(s), Some(b's' | b'q')) {
            s += 1;
        }
        if fold(s) != Some(b'n') || fold(s + 1) != Some(b'a') || fold(s + 2) != Some(b'n') {
            return false;
        }
        s += 3;
        if matches!(fold(s), Some(b'q' | b's')) {
            s += 1;
        }
        if fold(s) == Some(b'(') {
            return nan_payload(&text[s + 1..]);
        }
        tail_is_space(s)
    }
}

/// After `nan(`: a decimal, `0x` or `0b` payload, optional white space, `)`, then
/// only white space.
fn nan_payload(text: &[u8]) -> bool {
    let Some(close) = text.iter().position(|&b| b == b')') else {
        return false;
    };
    let inner = &text[..close];
    let digits: &[u8] = if inner.len() > 2 && inner[0] == b'0' && matches!(inner[1], b'x' | b'X') {
        let hex = &inner[2..];
        let end = hex
            .iter()
            .position(|&b| !(b.is_ascii_hexdigit() || b == b'_'))
            .unwrap_or(hex.len());
        &hex[end..]
    } else if inner.len() > 2 && inner[0] == b'0' && matches!(inner[1], b'b' | b'B') {
        let bin = &inner[2..];
        let end = bin
            .iter()
            .position(|&b| !matches!(b, b'0' | b'1' | b'_'))
            .unwrap_or(bin.len());
        &bin[end..]
    } else {
        let end = inner
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(inner.len());
        if end == 0 {
            return false;
        }
        &inner[end..]
    };
    digits.iter().all(|&b| perl_space(b)) && text[close + 1..].iter().all(|&b| perl_space(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> String {
        let mut out = Vec::new();
        write(
            &mut out,
            &Scalar {
                tag: None,
                request: Request::Any,
                text: text.as_bytes(),
                utf8: false,
                key: false,
            },
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn styles_follow_syck() {
        for (text, want) in [
            ("abc", "abc"),
            ("a#b", "a#b"),
            ("a #b", "\"a #b\""),
            ("a: b", "\"a: b\""),
            ("a:", "\"a:\""),
            ("a:b", "a:b"),
            ("-a", "-a"),
            ("- a", "\"- a\""),
            ("-", "\"-\""),
            (":bar", "\":bar\""),
            ("yes", "'yes'"),
            ("~", "'~'"),
            (" lead", "\" lead\""),
            ("a\tb", "a\tb"),
            ("a\nb", "\"a\\nb\""),
            ("a\n b", "\"a\\n b\""),
            ("it's", "it's"),
            ("\u{1}", "\"\\x01\""),
            ("---", "---"),
        ] {
            assert_eq!(plain(text), want, "{text:?}");
        }
    }

    #[test]
    fn single_quotes_fold_line_breaks() {
        let mut out = Vec::new();
        single_quoted(&mut out, b"12\n");
        assert_eq!(out, b"'12\n\n'");
        out.clear();
        single_quoted(&mut out, b"\n\nx'");
        assert_eq!(out, b"'\n\n\nx'''");
    }

    #[test]
    fn unquotable_integers() {
        for yes in ["0", "1", "-1", "123456789", "+5", ".5", "-12345678"] {
            assert!(unquotable_integer(yes.as_bytes()), "{yes}");
        }
        for no in ["", "007", "-0", "1234567890", "1e3", "1.5", "12 "] {
            assert!(!unquotable_integer(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn looks_like_number_is_perl_5_36() {
        for yes in [
            "- ",
            "1",
            " 12",
            "12 ",
            "12\n",
            "\t12\t",
            "+.5",
            "-.5e3",
            "1.",
            "Inf",
            "-inf",
            "Infinity",
            "nan",
            "nanq",
            "nan(123)",
            "NaN(0x1f)",
            "0 but true",
            "1.#INF",
            "1.#IND00",
            "\x0b12",
        ] {
            assert!(looks_like_number(yes.as_bytes()), "{yes:?}");
        }
        for no in [
            "", " ", "0x10", "1_0", ".e3", "1e+", "1e", "12a", "infx", "nanx", "nan(", "nan(1a)",
            "+", "+ ", ".",
        ] {
            assert!(!looks_like_number(no.as_bytes()), "{no:?}");
        }
    }
}
