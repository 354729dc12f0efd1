//! The text of FreezeThaw's leaves: how strings, class names and regexps become the
//! bytes after `$LEN|` and `/LEN|` (spec §7.3, §7.6).

use std::borrow::Cow;

use super::unsupported;
use crate::string::PerlString;
use crate::value::Regexp;
use crate::Error;

/// The bytes Perl's file driver stores for `s`: a byte string as it is, a character
/// string as Latin-1 when every character is at most 0xFF. A character above 0xFF is
/// refused: Perl would store it UTF-8-encoded with `LEN` counting characters, a record
/// that can never be read again (spec §7.3), so we do not write it. `what` names the
/// string in the error.
pub(super) fn latin1<'s>(s: &'s PerlString, what: &str) -> Result<Cow<'s, [u8]>, Error> {
    if !s.is_utf8() {
        return Ok(Cow::Borrowed(s.as_bytes()));
    }
    match s.downgraded() {
        Some(bytes) => Ok(Cow::Owned(bytes.into_bytes())),
        None => {
            let wide = s.code_points().find(|&c| c > 0xFF).unwrap_or_default();
            Err(unsupported(format!(
                "{what} {s:?} holds the character U+{wide:04X}: FreezeThaw counts lengths in \
                 characters but the record is stored as UTF-8 bytes, so Perl could never read \
                 it back (spec §7.3); only characters up to U+00FF can be stored in this format"
            )))
        }
    }
}

/// Class names that FreezeThaw takes for Perl's own types (`ref` gives them for an
/// unblessed thing too): an object of such a class is written unblessed, or makes
/// Perl's freeze die.
const TYPE_NAMES: &[&[u8]] = &[
    b"ARRAY", b"HASH", b"SCALAR", b"REF", b"CODE", b"GLOB", b"Regexp",
];

/// The bytes of a class name, or why FreezeThaw cannot keep an object of that class.
pub(super) fn class_name(class: &PerlString) -> Result<Cow<'_, [u8]>, Error> {
    let bytes = latin1(class, "the class name")?;
    if bytes.is_empty() {
        return Err(unsupported(
            "an object with an empty class name: Perl cannot bless into it",
        ));
    }
    if TYPE_NAMES.contains(&bytes.as_ref()) {
        return Err(unsupported(format!(
            "an object of class {class:?}: FreezeThaw takes that class for Perl's own type \
             and would write the object unblessed or die"
        )));
    }
    Ok(bytes)
}

/// A regexp as Perl stringifies it (`"$qr"`, what FreezeThaw stores):
/// `(?^` + charset + `p` + `msixxn` flags + `:` + pattern + `)`, in the order of
/// `set_regex_pv` in Perl's regcomp.c, with no `^` when all six of `msixxn` and a
/// charset are set. A character-string pattern gets the `u` charset, as Perl compiles it.
///
/// A pattern that is already a stringified regexp, `(?^...:...)`, with the flags a
/// thaw gives it — what a thaw gives — is written unchanged: Perl would wrap it in one
/// more `(?^:...)` on every round trip, and compiles both to the same regexp.
pub(super) fn regexp(r: &Regexp) -> Result<Vec<u8>, Error> {
    let pattern = latin1(&r.pattern, "the regexp pattern")?;
    if Regexp::pattern_runs_code(&pattern) {
        return Err(unsupported(format!(
            "the regexp {r:?} holds code (`(?{{...}})`), which Perl's thaw refuses to compile"
        )));
    }
    if stringified_flags(&pattern).is_some()
        && r.flags == thawed_flags(&pattern)
        && !r.pattern.is_utf8()
    {
        return Ok(pattern.into_owned());
    }
    let flags = Flags::parse(&r.flags)?;
    let charset = flags
        .charset
        .or(r.pattern.is_utf8().then_some("u"))
        .unwrap_or("");
    let mut out = b"(?".to_vec();
    // Perl leaves out the `^` only when all of `msixxn` and a charset are set.
    if flags.std.len() != 6 || charset.is_empty() {
        out.push(b'^');
    }
    out.extend_from_slice(charset.as_bytes());
    if flags.keep_copy {
        out.push(b'p');
    }
    out.extend_from_slice(flags.std.as_bytes());
    out.push(b':');
    out.extend_from_slice(&pattern);
    out.push(b')');
    Ok(out)
}

/// The flags of a pattern that is itself a stringified regexp, `(?^FLAGS:...`.
pub(super) fn stringified_flags(pattern: &[u8]) -> Option<&[u8]> {
    let rest = pattern.strip_prefix(b"(?^")?;
    let end = rest.iter().position(|&b| b == b':')?;
    let flags = &rest[..end];
    flags.iter().all(u8::is_ascii_lowercase).then_some(flags)
}

/// The flags Perl's thaw gives a regexp stored as `pattern`: it compiles the text
/// with none, but a `p` in a leading `(?^p...:` group sets `p` on the whole regexp.
pub(super) fn thawed_flags(pattern: &[u8]) -> &'static str {
    match stringified_flags(pattern) {
        Some(flags) if flags.contains(&b'p') => "p",
        _ => "",
    }
}

/// Regexp modifiers as Perl keeps them.
struct Flags {
    /// `a`, `aa`, `l` or `u`; `d`, the default, is not shown.
    charset: Option<&'static str>,
    /// `p`.
    keep_copy: bool,
    /// The standard modifiers in Perl's order, `msixxn`.
    std: String,
}

impl Flags {
    fn parse(letters: &str) -> Result<Flags, Error> {
        let count = |c: char| letters.chars().filter(|&l| l == c).count();
        if let Some(bad) = letters.chars().find(|c| !"msixnpadluo".contains(*c)) {
            return Err(unsupported(format!(
                "unknown regexp flag {bad:?} in {letters:?}"
            )));
        }
        let charsets: Vec<&'static str> = [("a", count('a')), ("l", count('l')), ("u", count('u'))]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| if name == "a" && n > 1 { "aa" } else { name })
            .collect();
        if charsets.len() > 1 || count('a') > 2 || count('x') > 2 {
            return Err(unsupported(format!(
                "regexp flags {letters:?} are not a combination Perl accepts"
            )));
        }
        let mut std = String::new();
        for (flag, times) in [('m', 1), ('s', 1), ('i', 1), ('x', count('x')), ('n', 1)] {
            if count(flag) > 0 {
                std.extend(std::iter::repeat_n(flag, times));
            }
        }
        Ok(Flags {
            charset: charsets.first().copied(),
            keep_copy: count('p') > 0,
            std,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(pattern: &str, flags: &str) -> Vec<u8> {
        let r = Regexp {
            pattern: PerlString::from_text(pattern),
            flags: flags.to_string(),
        };
        regexp(&r).unwrap()
    }

    /// Each expectation is what Perl 5.36 prints for `qr/x/FLAGS`.
    #[test]
    fn regexps_stringify_as_perl_does() {
        assert_eq!(re("ab+c", "i"), b"(?^i:ab+c)");
        assert_eq!(re("x", ""), b"(?^:x)");
        assert_eq!(re("x", "nixsm"), b"(?^msixn:x)");
        assert_eq!(re("x", "msixxn"), b"(?^msixxn:x)");
        assert_eq!(re("x", "umsixxn"), b"(?umsixxn:x)");
        assert_eq!(re("x", "amsixn"), b"(?^amsixn:x)");
        assert_eq!(re("x", "msixxnp"), b"(?^pmsixxn:x)");
        assert_eq!(re("x", "lip"), b"(?^lpi:x)");
        assert_eq!(re("x", "ixx"), b"(?^ixx:x)");
        assert_eq!(re("x", "aa"), b"(?^aa:x)");
        assert_eq!(re("x", "od"), b"(?^:x)");
        assert_eq!(re("caf\u{e9}", "i"), b"(?^ui:caf\xe9)");
        // What a thaw gives is written as it is.
        assert_eq!(re("(?^i:ab+c)", ""), b"(?^i:ab+c)");
        assert_eq!(re("(?^pi:y)", "p"), b"(?^pi:y)");
        assert_eq!(re("(?^pi:y)", ""), b"(?^:(?^pi:y))");
        assert_eq!(re("(?^i:y)", "p"), b"(?^p:(?^i:y))");
    }

    #[test]
    fn impossible_flags_and_code_are_refused() {
        for flags in ["au", "g", "xxx", "e"] {
            let r = Regexp {
                pattern: PerlString::from_text("x"),
                flags: flags.to_string(),
            };
            assert!(regexp(&r).is_err(), "{flags}");
        }
        let r = Regexp {
            pattern: PerlString::from_text("a(?{ 1 })"),
            flags: String::new(),
        };
        assert!(regexp(&r).is_err());
    }

    #[test]
    fn characters_above_ff_are_refused_and_latin1_is_written_as_bytes() {
        let upgraded = PerlString::from_text("caf\u{e9}");
        assert_eq!(latin1(&upgraded, "x").unwrap().as_ref(), b"caf\xe9");
        let err = latin1(&PerlString::from_text("\u{263a}"), "the string").unwrap_err();
        assert!(err.to_string().contains("U+263A"), "{err}");
        assert!(class_name(&PerlString::from_text("HASH")).is_err());
        assert!(class_name(&PerlString::from_text("")).is_err());
        assert_eq!(
            class_name(&"My::Hash".into()).unwrap().as_ref(),
            b"My::Hash"
        );
    }
}
