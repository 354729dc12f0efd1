//! DSN strings, parsed exactly as Perl's `CGI::Session->parse_dsn` (spec §1).
//!
//! `"driver:file;serializer:storable;id:md5"` selects three components. Perl's
//! parser is lenient, and its leniency is part of the format: keys may be any
//! unique prefix of `driver`, `serializer`, `id`, in any case; values are
//! lower-cased; and the string is read as **one flat list** of key/value pairs
//! split on both `;` and `:`, so `driver:DB_File;serializer;Storable;id:Incr` and
//! `dr:mysql:serial:FreezeThaw` work. Unknown keys are ignored, as Perl ignores
//! them (they are kept in [`Dsn::ignored`] so tools can warn).
//!
//! Where Perl only fails later, or at random, this parser fails at once with an
//! error that names the problem:
//! * a value that is not `\w+` (`driver: file`), which Perl accepts and then dies on
//!   at first use (spec §1.3);
//! * two spellings of one key with different values (`d:file;driver:db_file`),
//!   where Perl's winner depends on its random hash order (spec §1.1 step 8).

use crate::error::{Error, Result};

/// The components a DSN selects; `None` means "the default".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dsn {
    /// `driver:NAME`, lower-cased.
    pub driver: Option<String>,
    /// `serializer:NAME`, lower-cased.
    pub serializer: Option<String>,
    /// `id:NAME`, lower-cased.
    pub id: Option<String>,
    /// Pairs whose key is not an abbreviation of `driver`, `serializer` or `id`, as
    /// (raw key, lower-cased value). Perl ignores them silently; so does the session.
    pub ignored: Vec<(String, String)>,
}

/// The default driver, as in Perl.
pub const DEFAULT_DRIVER: &str = "file";
/// The default serializer, as in Perl.
pub const DEFAULT_SERIALIZER: &str = "default";
/// The default id generator, as in Perl.
pub const DEFAULT_ID: &str = "md5";

/// Drivers whose store has one record format of its own, which no other serializer
/// may write and which no other driver holds: Ruby's CGI::Session stores. The DSN's
/// serializer defaults to the driver's own format.
const OWN_FORMATS: &[(&str, &str)] = &[
    ("ruby_filestore", "ruby_filestore"),
    ("ruby_pstore", "ruby_pstore"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Component {
    Driver,
    Serializer,
    Id,
}

/// `Text::Abbrev::abbrev("driver","serializer","id")`: every unique prefix.
fn component(key: &str) -> Option<Component> {
    let key = key.to_lowercase();
    [
        ("driver", Component::Driver),
        ("serializer", Component::Serializer),
        ("id", Component::Id),
    ]
    .into_iter()
    .find(|(full, _)| !key.is_empty() && full.starts_with(key.as_str()))
    .map(|(_, c)| c)
}

/// Perl's `split /SEP/, $s`: leading empty fields kept, trailing empty fields dropped.
fn perl_split(s: &str, sep: char) -> Vec<&str> {
    let mut fields: Vec<&str> = s.split(sep).collect();
    while fields.last() == Some(&"") {
        fields.pop();
    }
    fields
}

impl Dsn {
    /// Parses a DSN string as Perl 4.48 does.
    ///
    /// ```
    /// use cgi_session::Dsn;
    /// let dsn = Dsn::parse("DR:FILE").unwrap();
    /// assert_eq!(dsn.driver.as_deref(), Some("file"));
    /// let flat = Dsn::parse("driver:DB_File;serializer;Storable;id:Incr").unwrap();
    /// assert_eq!(flat.serializer.as_deref(), Some("storable"));
    /// assert_eq!(flat.id.as_deref(), Some("incr"));
    /// ```
    pub fn parse(text: &str) -> Result<Dsn> {
        let fail = |message: String| Error::Dsn {
            dsn: text.to_string(),
            message,
        };
        // spec §1.1 step 1: a false string croaks.
        if text.is_empty() || text == "0" {
            return Err(fail("parse_dsn(): usage error: the DSN is empty".into()));
        }
        let flat: Vec<&str> = perl_split(text, ';')
            .into_iter()
            .flat_map(|piece| perl_split(piece, ':'))
            .collect();
        // Read as a Perl hash: pairs in order, a later equal raw key wins, an odd
        // tail gets undef (""). Keep first-seen order for deterministic reporting.
        let mut raw: Vec<(&str, String)> = Vec::new();
        for pair in flat.chunks(2) {
            let value = pair.get(1).copied().unwrap_or("").to_lowercase();
            match raw.iter_mut().find(|(k, _)| *k == pair[0]) {
                Some(slot) => slot.1 = value,
                None => raw.push((pair[0], value)),
            }
        }
        let mut dsn = Dsn::default();
        for (key, value) in raw {
            let Some(which) = component(key) else {
                dsn.ignored.push((key.to_string(), value));
                continue;
            };
            let (slot, name) = match which {
                Component::Driver => (&mut dsn.driver, "driver"),
                Component::Serializer => (&mut dsn.serializer, "serializer"),
                Component::Id => (&mut dsn.id, "id"),
            };
            // spec §1.2/§1.3: Perl keeps a non-\w+ value and dies at first use.
            if value.is_empty() || !value.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(fail(format!(
                    "{name} name {value:?} (from key {key:?}) is not a word; \
                     note that spaces are not trimmed"
                )));
            }
            match slot {
                Some(previous) if *previous != value => {
                    return Err(fail(format!(
                        "the {name} is given twice with different values ({previous:?} and {value:?}); \
                         Perl would pick one at random"
                    )));
                }
                _ => *slot = Some(value),
            }
        }
        Ok(dsn)
    }

    /// The driver name, or Perl's default `file`.
    pub fn driver_name(&self) -> &str {
        self.driver.as_deref().unwrap_or(DEFAULT_DRIVER)
    }

    /// The serializer name: the one named, else the driver's own format (a Ruby
    /// store's), else Perl's default `default`.
    pub fn serializer_name(&self) -> &str {
        self.serializer
            .as_deref()
            .or_else(|| own_format(self.driver_name()))
            .unwrap_or(DEFAULT_SERIALIZER)
    }

    /// Refuses a driver and serializer that cannot go together: a store with a
    /// format of its own (Ruby's) holds that format and nothing else, and that
    /// format goes in no other store.
    pub(crate) fn check_pairing(&self, shown: &str) -> Result<()> {
        let (driver, serializer) = (self.driver_name(), self.serializer_name());
        let wrong = match own_format(driver) {
            Some(own) => own != serializer,
            None => OWN_FORMATS.iter().any(|(_, f)| *f == serializer),
        };
        if !wrong {
            return Ok(());
        }
        let message = match own_format(driver) {
            Some(own) => format!(
                "driver {driver} stores its own record format; use serializer {own} (or name none), not {serializer}"
            ),
            None => format!(
                "serializer {serializer} is the record format of Ruby's {serializer} store; use it with driver {serializer}"
            ),
        };
        Err(Error::Dsn {
            dsn: shown.to_string(),
            message,
        })
    }

    /// The id generator name, or Perl's default `md5`.
    pub fn id_name(&self) -> &str {
        self.id.as_deref().unwrap_or(DEFAULT_ID)
    }
}

/// The record format a driver's store has of its own, if any.
fn own_format(driver: &str) -> Option<&'static str> {
    OWN_FORMATS
        .iter()
        .find(|(d, _)| *d == driver)
        .map(|(_, f)| *f)
}

impl std::fmt::Display for Dsn {
    /// The canonical form with every default filled in: `driver:file;serializer:default;id:md5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "driver:{};serializer:{};id:{}",
            self.driver_name(),
            self.serializer_name(),
            self.id_name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (driver, serializer, id) as parsed; `None` where the DSN leaves the default.
    type Parts<'a> = [Option<&'a str>; 3];

    fn parts(d: &Dsn) -> Parts<'_> {
        [
            d.driver.as_deref(),
            d.serializer.as_deref(),
            d.id.as_deref(),
        ]
    }

    #[test]
    fn every_dsn_in_perls_test_suite_parses_the_same() {
        // spec §1.4: what Perl's parse_dsn returns for each DSN string in t/.
        let cases: &[(&str, Parts)] = &[
            ("DR:FILE", [Some("file"), None, None]),
            (
                "dr:File;ser:Default;id:MD5",
                [Some("file"), Some("default"), Some("md5")],
            ),
            ("driver:DB_File", [Some("db_file"), None, None]),
            ("DR:db_file", [Some("db_file"), None, None]),
            (
                "dr:DB_File;ser:FreezeThaw",
                [Some("db_file"), Some("freezethaw"), None],
            ),
            (
                "d:DB_File;s:Storable;id:md5",
                [Some("db_file"), Some("storable"), Some("md5")],
            ),
            (
                "Driver:file;serial:FreezeThaw",
                [Some("file"), Some("freezethaw"), None],
            ),
            ("serializer:FreezeThaw", [None, Some("freezethaw"), None]),
            ("serializer:Storable", [None, Some("storable"), None]),
            ("driver:File", [Some("file"), None, None]),
            (
                "driver:DB_File;serializer;Storable;id:Incr",
                [Some("db_file"), Some("storable"), Some("incr")],
            ),
            (
                "driver:File;serializer;FreezeThaw;id:Incr",
                [Some("file"), Some("freezethaw"), Some("incr")],
            ),
            ("id:Incr", [None, None, Some("incr")]),
            ("dr:mysql", [Some("mysql"), None, None]),
            (
                "dr:mysql:serial:FreezeThaw",
                [Some("mysql"), Some("freezethaw"), None],
            ),
            (
                "dr:mysql;ser:Storable",
                [Some("mysql"), Some("storable"), None],
            ),
            ("dr:postgresql", [Some("postgresql"), None, None]),
            (
                "dr:postgresql;serializer:freezethaw",
                [Some("postgresql"), Some("freezethaw"), None],
            ),
            (
                "dr:postgresql;serializer:storable",
                [Some("postgresql"), Some("storable"), None],
            ),
            ("driver:sqlite", [Some("sqlite"), None, None]),
            (
                "driver:SQLite;serializer:FreezeThaw",
                [Some("sqlite"), Some("freezethaw"), None],
            ),
            (
                "driver:sqlite;serializer:storable",
                [Some("sqlite"), Some("storable"), None],
            ),
            ("id:static", [None, None, Some("static")]),
            (
                "serializer:default;id:static",
                [None, Some("default"), Some("static")],
            ),
            (
                "driver:file;id:static",
                [Some("file"), None, Some("static")],
            ),
            (
                "driver:db_file;id:static",
                [Some("db_file"), None, Some("static")],
            ),
            (
                "driver:file;serializer:default",
                [Some("file"), Some("default"), None],
            ),
            (
                "driver:file;serializer:Storable",
                [Some("file"), Some("storable"), None],
            ),
            ("DRIVER:FILE;DRIVER:DB_FILE", [Some("db_file"), None, None]),
        ];
        for (dsn, want) in cases {
            let parsed = Dsn::parse(dsn).unwrap_or_else(|e| panic!("{dsn}: {e}"));
            assert_eq!(parts(&parsed), *want, "{dsn}");
        }
    }

    #[test]
    fn unknown_keys_are_ignored_and_reported() {
        let d = Dsn::parse("driver:file;foo:bar").unwrap();
        assert_eq!(d.driver.as_deref(), Some("file"));
        assert_eq!(d.ignored, vec![("foo".to_string(), "bar".to_string())]);
        // Perl does not trim: " serializer" is an unknown key, so storable is ignored.
        let d = Dsn::parse("driver:file; serializer:storable").unwrap();
        assert_eq!(d.serializer, None);
        assert_eq!(
            d.ignored,
            vec![(" serializer".to_string(), "storable".to_string())]
        );
    }

    #[test]
    fn misaligned_pairs_shift_as_in_perl() {
        // driver:a:b;serializer:c → driver=>a, b=>serializer, c=>undef; "b" and "c" are unknown keys.
        let d = Dsn::parse("driver:a:b;ser:c");
        let d = d.unwrap();
        assert_eq!(d.driver.as_deref(), Some("a"));
        assert_eq!(d.serializer, None);
        assert_eq!(d.ignored.len(), 2);
    }

    #[test]
    fn what_perl_fails_on_later_fails_now_with_a_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("0", "empty"),
            ("driver: file", "not a word"),
            ("driver:a-b", "not a word"),
            ("driver:", "not a word"),
            ("d:file;driver:db_file", "twice"),
        ] {
            let err = Dsn::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?} gave {err}");
        }
        // Same value under two spellings is not a conflict.
        assert_eq!(
            Dsn::parse("d:file;driver:FILE").unwrap().driver.as_deref(),
            Some("file")
        );
    }

    #[test]
    fn defaults_fill_the_canonical_form() {
        assert_eq!(
            Dsn::parse("id:incr").unwrap().to_string(),
            "driver:file;serializer:default;id:incr"
        );
    }

    #[test]
    fn a_ruby_store_defaults_to_its_own_format_and_refuses_others() {
        for driver in ["ruby_filestore", "ruby_pstore"] {
            let dsn = Dsn::parse(&format!("driver:{driver}")).unwrap();
            assert_eq!(dsn.serializer_name(), driver);
            assert_eq!(
                dsn.to_string(),
                format!("driver:{driver};serializer:{driver};id:md5")
            );
            dsn.check_pairing("x").unwrap();
            let named = Dsn::parse(&format!("driver:{driver};serializer:{driver}")).unwrap();
            named.check_pairing("x").unwrap();
            let err = Dsn::parse(&format!("driver:{driver};serializer:storable"))
                .unwrap()
                .check_pairing("x")
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("use serializer {driver}")), "{err}");
            let err = Dsn::parse(&format!("driver:file;serializer:{driver}"))
                .unwrap()
                .check_pairing("x")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("use it with driver {driver}")),
                "{err}"
            );
        }
        Dsn::parse("driver:file;serializer:storable")
            .unwrap()
            .check_pairing("x")
            .unwrap();
    }
}
