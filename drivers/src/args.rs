//! Reading Perl-named driver arguments from an [`Args`] map.
//!
//! Perl drivers receive a hash whose values are whatever the program wrote:
//! `{ Directory => '/var/sessions', UMask => 0660, NoFlock => 1 }`. Here every value
//! arrives as text, so these helpers give each option the reading a Perl programmer
//! expects, and report a malformed value as [`Error::BadArg`] naming the option.
//!
//! Two Perl idioms decide what "not given" means, and the drivers use both (spec §5.2):
//! * `$args->{Directory} || default`: the default also replaces a *false* value
//!   (`""` or `"0"`); see [`true_value`].
//! * `exists $args->{UMask} ? $args->{UMask} : default`: any present value is used,
//!   even a false one; see [`mode`] and [`flag`].
//!
//! ```
//! use cgi_session_drivers::{args, Args};
//!
//! let mut a = Args::new();
//! a.insert("UMask".into(), "0640".into());
//! a.insert("NoFlock".into(), "1".into());
//! assert_eq!(args::mode(&a, "UMask", 0o660).unwrap(), 0o640);
//! assert!(args::flag(&a, "NoFlock", false).unwrap());
//! assert_eq!(args::true_value(&a, "Directory"), None);
//! ```

use crate::{Args, Error};

/// Perl's truthiness of a string: only `""` and `"0"` are false.
///
/// Note that `"0.0"`, `"00"`, `" 0"` and `"false"` are all *true* in Perl.
pub fn perl_true(value: &str) -> bool {
    !(value.is_empty() || value == "0")
}

/// The value of `name` when it is present and Perl-true, i.e. what Perl's
/// `$args->{name} || default` would keep; `None` means "use the default".
pub fn true_value<'a>(args: &'a Args, name: &str) -> Option<&'a str> {
    args.get(name).map(String::as_str).filter(|v| perl_true(v))
}

/// A boolean option with Perl's `exists ... ? ... : default` rule: `default` when
/// `name` is absent, otherwise [`parse_flag`] of its value.
pub fn flag(args: &Args, name: &str, default: bool) -> Result<bool, Error> {
    args.get(name)
        .map_or(Ok(default), |value| parse_flag(name, value))
}

/// Reads a boolean option value with Perl truthiness (`""` and `"0"` are false,
/// anything else true).
///
/// One deliberate refusal: `false`, `no` and `off` (any case) are *true* to Perl, so a
/// program that writes them almost certainly means the opposite of what Perl would
/// do. They are rejected with [`Error::BadArg`] rather than silently read as true.
pub fn parse_flag(name: &str, value: &str) -> Result<bool, Error> {
    let word = value.trim().to_ascii_lowercase();
    if matches!(word.as_str(), "false" | "no" | "off") {
        return Err(bad_arg(
            name,
            format!(
                "{value:?} would be true in Perl (only \"\" and \"0\" are false); write 0 or 1"
            ),
        ));
    }
    Ok(perl_true(value))
}

/// A file-mode option with Perl's `exists ... ? ... : default` rule: `default` when
/// `name` is absent, otherwise [`parse_mode`] of its value.
pub fn mode(args: &Args, name: &str, default: u32) -> Result<u32, Error> {
    args.get(name)
        .map_or(Ok(default), |value| parse_mode(name, value))
}

/// Reads a permission mode written the way a Perl programmer writes one.
///
/// * A leading `0` means octal, as in the Perl literal `UMask => 0660`: `"0660"`.
/// * `0o` or `0O` also means octal, as in Rust: `"0o660"`.
/// * Otherwise the digits are decimal, which is what Perl's number `0660` looks like
///   once stringified: `"432"` is the same mode as `"0660"`.
///
/// Surrounding ASCII whitespace is ignored. Modes above `0o777` are refused: the
/// usual cause is octal digits written without the leading zero (`"660"` is decimal
/// 660, i.e. `0o1224`, which sets the sticky bit), and no session file needs the
/// set-id or sticky bits. Perl would pass such a value to `open` unchecked.
pub fn parse_mode(name: &str, value: &str) -> Result<u32, Error> {
    let text = value.trim();
    let (digits, radix) =
        if let Some(rest) = text.strip_prefix("0o").or_else(|| text.strip_prefix("0O")) {
            (rest, 8)
        } else if text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text, 10)
        };
    // from_str_radix accepts a sign; a mode never has one.
    let parsed = if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        u32::from_str_radix(digits, radix).ok()
    };
    match parsed {
        Some(mode) if mode <= 0o777 => Ok(mode),
        Some(mode) => Err(bad_arg(
            name,
            format!(
                "{value:?} is mode {mode:#o}, above 0o777; octal needs a leading zero (e.g. \"0660\")"
            ),
        )),
        None => Err(bad_arg(
            name,
            format!("{value:?} is not a file mode (write octal as \"0660\" or \"0o660\", or decimal as \"432\")"),
        )),
    }
}

/// The [`Error::BadArg`] for option `name`.
pub fn bad_arg(name: &str, message: impl Into<String>) -> Error {
    Error::BadArg {
        name: name.to_owned(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Args {
        cgi_session_test_support::pairs(pairs)
    }

    #[test]
    fn perl_truthiness_is_only_empty_and_zero_false() {
        for v in ["", "0"] {
            assert!(!perl_true(v), "{v:?}");
        }
        for v in ["1", "00", "0.0", " 0", "0 ", "false", "a"] {
            assert!(perl_true(v), "{v:?}");
        }
    }

    #[test]
    fn true_value_mirrors_perl_or_default() {
        let a = args(&[("Directory", "0"), ("Empty", ""), ("Set", "/x")]);
        assert_eq!(true_value(&a, "Directory"), None);
        assert_eq!(true_value(&a, "Empty"), None);
        assert_eq!(true_value(&a, "Missing"), None);
        assert_eq!(true_value(&a, "Set"), Some("/x"));
    }

    #[test]
    fn modes_read_octal_with_leading_zero_and_decimal_otherwise() {
        for (text, want) in [
            ("0660", 0o660),
            ("0o660", 0o660),
            ("0O640", 0o640),
            (" 0600 ", 0o600),
            ("432", 0o660),
            ("0", 0),
            ("00", 0),
            ("0777", 0o777),
            ("511", 0o777),
        ] {
            assert_eq!(parse_mode("UMask", text).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn bad_modes_name_the_option() {
        for text in [
            "", "abc", "0668", "-1", "+432", "0o", "0x1b0", "660", "01000", "1e3", "0o-7",
        ] {
            let err = parse_mode("UMask", text).unwrap_err();
            assert!(
                matches!(&err, Error::BadArg { name, .. } if name == "UMask"),
                "{text:?}: {err}"
            );
            assert!(
                err.to_string().starts_with("driver argument UMask: "),
                "{err}"
            );
        }
        assert!(parse_mode("UMask", "660")
            .unwrap_err()
            .to_string()
            .contains("leading zero"));
    }

    #[test]
    fn mode_and_flag_use_exists_semantics() {
        let a = args(&[("UMask", "0"), ("NoFlock", "")]);
        assert_eq!(mode(&a, "UMask", 0o660).unwrap(), 0);
        assert_eq!(mode(&Args::new(), "UMask", 0o660).unwrap(), 0o660);
        assert!(!flag(&a, "NoFlock", true).unwrap());
        assert!(flag(&Args::new(), "NoFlock", true).unwrap());
    }

    #[test]
    fn flags_follow_perl_but_refuse_english_false() {
        assert!(parse_flag("NoFlock", "1").unwrap());
        assert!(parse_flag("NoFlock", "yes").unwrap());
        assert!(parse_flag("NoFlock", "0.0").unwrap());
        assert!(!parse_flag("NoFlock", "0").unwrap());
        for v in ["false", "No", " OFF "] {
            let err = parse_flag("NoFlock", v).unwrap_err();
            assert!(err.to_string().contains("NoFlock"), "{err}");
        }
    }
}
