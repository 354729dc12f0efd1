//! Perl's DBI data sources (`dbi:Driver:rest`) and credentials, as `DBI->connect` reads them.

use crate::args::bad_arg;
use crate::{Args, Error};

/// Splits `dbi:DRIVER:REST` the way `DBI->connect` does
/// (`s/^dbi:(\w*?)(?:\((.*?)\))?://i`): the scheme in any case, a driver name, optional
/// DBI attributes in parentheses (ignored here; they tune Perl's handle), then `:`.
/// `None` when `source` is not in that form.
fn split(source: &str) -> Option<(&str, &str)> {
    let scheme = source.get(..4)?;
    if !scheme.eq_ignore_ascii_case("dbi:") {
        return None;
    }
    let after = &source[4..];
    let name_end = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    let (driver, mut rest) = after.split_at(name_end);
    if let Some(attrs) = rest.strip_prefix('(') {
        rest = &attrs[attrs.find(')')? + 1..];
    }
    Some((driver, rest.strip_prefix(':')?))
}

/// Whether `source` starts with `dbi:` in any case (Perl's test before prefixing a bare
/// database name or path, spec §5.5, §5.7).
#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub(super) fn is_dbi_form(source: &str) -> bool {
    source
        .get(..4)
        .is_some_and(|s| s.eq_ignore_ascii_case("dbi:"))
}

/// The part after `dbi:DRIVER:` of `DataSource`, which must name `driver` (DBD module
/// name, compared without case: Perl's drivers test `/^dbi:sqlite/i`, although DBI
/// itself would then only load the exact `DBD::SQLite`). `ours` is our driver's name.
pub(super) fn dbi_rest<'a>(source: &'a str, driver: &str, ours: &str) -> Result<&'a str, Error> {
    match split(source) {
        Some((named, rest)) if named.eq_ignore_ascii_case(driver) => Ok(rest),
        Some((named, _)) => Err(bad_arg(
            "DataSource",
            format!(
                "{source:?} is for DBI driver {named:?}, but the {ours} driver needs dbi:{driver}:..."
            ),
        )),
        None => Err(bad_arg(
            "DataSource",
            format!("{source:?} is not a DBI data source (dbi:{driver}:...)"),
        )),
    }
}

/// `DataSource` when Perl-true; what every SQL driver needs.
pub(super) fn data_source<'a>(args: &'a Args, example: &str) -> Result<&'a str, Error> {
    crate::args::true_value(args, "DataSource").ok_or_else(|| {
        bad_arg(
            "DataSource",
            format!("is required, e.g. DataSource={example}"),
        )
    })
}

/// `User`, or DBI's `DBI_USER` from the environment when the argument is absent (DBI
/// substitutes the variable for an *undefined* user, not an empty one).
#[cfg(any(feature = "postgresql", feature = "mysql"))]
pub(super) fn user(args: &Args) -> Option<String> {
    credential(args, "User", "DBI_USER")
}

/// `Password`, or `DBI_PASS` when absent, as [`user`].
#[cfg(any(feature = "postgresql", feature = "mysql"))]
pub(super) fn password(args: &Args) -> Option<String> {
    credential(args, "Password", "DBI_PASS")
}

#[cfg(any(feature = "postgresql", feature = "mysql"))]
fn credential(args: &Args, name: &str, env: &str) -> Option<String> {
    args.get(name).cloned().or_else(|| std::env::var(env).ok())
}

/// The login name client libraries fall back to when no user is given (libpq and
/// libmysqlclient use the account name; here from `USER` or `LOGNAME`).
#[cfg(any(feature = "postgresql", feature = "mysql"))]
pub(super) fn login_name() -> Option<String> {
    ["USER", "LOGNAME"]
        .into_iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbi_prefix_is_split_like_dbi() {
        assert_eq!(split("dbi:SQLite:dbname=x"), Some(("SQLite", "dbname=x")));
        assert_eq!(split("DBI:Pg(RaiseError=>1):db=t"), Some(("Pg", "db=t")));
        assert_eq!(split("dbi:mysql:"), Some(("mysql", "")));
        assert_eq!(split("dbi:mysql"), None);
        assert_eq!(split("dbi:Pg(unclosed:x"), None);
        assert_eq!(split("/tmp/x.db"), None);
        assert_eq!(split("db"), None);
        assert_eq!(split("dbé"), None);
    }

    #[test]
    fn wrong_driver_and_bare_strings_are_named() {
        assert_eq!(dbi_rest("dbi:pg:db=t", "Pg", "postgresql").unwrap(), "db=t");
        let err = dbi_rest("dbi:mysql:test", "Pg", "postgresql")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"mysql\"") && err.contains("dbi:Pg:"),
            "{err}"
        );
        let err = dbi_rest("host=x dbname=t", "Pg", "postgresql")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("driver argument DataSource: "), "{err}");
    }
}
