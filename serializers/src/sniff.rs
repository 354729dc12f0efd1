//! Which serializer wrote a record, from its first bytes (spec §7).
//!
//! Nothing in a CGI::Session record names its serializer, but each format opens
//! with bytes no other one can: a store that changed serializer over the years
//! can be read record by record (see [`Auto`](crate::Auto)). Only what the
//! serializers really write is recognised, checked against Perl 4.48's:
//!
//! | Format | First bytes |
//! |---|---|
//! | `default` (Data::Dumper) | `$D = ` (every `Indent` setting; also the 3.x records) |
//! | `storable`, native order | `04 MINOR LEN ORDER`, LEN 4 or 8 and ORDER its byte-order digits (`04 0b 08 31..38` on x86_64) |
//! | `storable`, network order | `05 MINOR` (`nfreeze`) |
//! | `freezethaw` | `FrT;` |
//! | `yaml` | `---` then a space or a newline (YAML::Syck writes `--- `, YAML.pm `---`) |
//! | `json` | `{` |

/// A record format, by the serializer that writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Data::Dumper text: serializer `default`.
    Dumper,
    /// A Storable image, native or network byte order: serializer `storable`.
    Storable,
    /// FreezeThaw text: serializer `freezethaw`.
    FreezeThaw,
    /// YAML: serializer `yaml`.
    Yaml,
    /// The JSON mapping: serializer `json`.
    Json,
}

impl Format {
    /// Every format, in the order [`sniff`] tries them.
    pub const ALL: [Format; 5] = [
        Format::Dumper,
        Format::Storable,
        Format::FreezeThaw,
        Format::Yaml,
        Format::Json,
    ];

    /// The DSN name of the serializer that reads and writes this format.
    pub fn serializer_name(self) -> &'static str {
        match self {
            Format::Dumper => "default",
            Format::Storable => "storable",
            Format::FreezeThaw => "freezethaw",
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }

    fn matches(self, bytes: &[u8]) -> bool {
        match self {
            Format::Dumper => bytes.starts_with(b"$D = "),
            Format::Storable => is_storable(bytes),
            Format::FreezeThaw => bytes.starts_with(b"FrT;"),
            Format::Yaml => matches!(bytes, [b'-', b'-', b'-', b' ' | b'\n', ..]),
            Format::Json => bytes.starts_with(b"{"),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.serializer_name())
    }
}

/// The format of a record, or `None` when no known serializer starts that way.
///
/// ```
/// use cgi_session_serializers::{sniff, Format};
///
/// assert_eq!(sniff(b"$D = {'_SESSION_ID' => 'abc'};;$D"), Some(Format::Dumper));
/// assert_eq!(sniff(b"\x04\x0b\x0812345678\x04\x08\x08\x08\x03"), Some(Format::Storable));
/// assert_eq!(sniff(b"<xml/>"), None);
/// ```
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    Format::ALL.into_iter().find(|f| f.matches(bytes))
}

/// Storable's in-memory header (spec §7.2): `(major 2 << 1) | netorder`, the minor
/// version (any: Storable itself names a too-recent one), and in native order the
/// byte-order string, `1234` or `12345678` as the machine stores an IV
/// (`4321`, `87654321` on big-endian machines).
fn is_storable(bytes: &[u8]) -> bool {
    match bytes {
        [0x05, _minor, ..] => true,
        [0x04, _minor, len @ (4 | 8), rest @ ..] => rest
            .get(..usize::from(*len))
            .is_some_and(|order| order.iter().all(|b| (b'1'..=b'8').contains(b))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compat-fixtures")
    }

    /// Every record Perl wrote into a `file-<serializer>` set sniffs as that serializer.
    #[test]
    fn every_perl_fixture_sniffs_as_its_serializer() {
        let mut checked = Vec::new();
        for set in std::fs::read_dir(fixtures()).unwrap() {
            let set = set.unwrap();
            let name = set.file_name().into_string().unwrap();
            let Some(serializer) = name.strip_prefix("file-") else {
                continue;
            };
            // file-default-cyclic holds Data::Dumper records too.
            let serializer = serializer.split('-').next().unwrap();
            for record in std::fs::read_dir(set.path()).unwrap() {
                let record = record.unwrap();
                if !record.file_name().to_string_lossy().starts_with("cgisess_") {
                    continue;
                }
                let bytes = std::fs::read(record.path()).unwrap();
                let format = sniff(&bytes).map(Format::serializer_name);
                assert_eq!(format, Some(serializer), "{}", record.path().display());
                checked.push(serializer.to_string());
            }
        }
        for serializer in ["default", "storable", "freezethaw", "yaml", "json"] {
            assert!(
                checked.iter().filter(|s| *s == serializer).count() >= 10,
                "too few {serializer} fixtures: run `perl compat-fixtures/generate.pl`"
            );
        }
    }

    #[test]
    fn headers_perl_writes_elsewhere_are_recognised() {
        for (bytes, format) in [
            // Storable 2.7 (Perl 5.8), 32-bit, big-endian, network order.
            (&b"\x04\x07\x0412345678"[..], Format::Storable),
            (b"\x04\x0b\x041234\x04\x04\x04\x08\x03", Format::Storable),
            (
                b"\x04\x0b\x0887654321\x04\x08\x08\x08\x03",
                Format::Storable,
            ),
            (b"\x05\x0b\x03\x00\x00\x00\x01", Format::Storable),
            // YAML.pm writes `---` and a newline; Data::Dumper with Indent(2) a newline after `{`.
            (b"---\n_SESSION_ID: x\n", Format::Yaml),
            (b"--- {}\n", Format::Yaml),
            (b"$D = {\n  '_SESSION_ID' => 'x'\n};;$D", Format::Dumper),
            (b"FrT;@1|%0|", Format::FreezeThaw),
            (b"{}", Format::Json),
        ] {
            assert_eq!(sniff(bytes), Some(format), "{}", bytes.escape_ascii());
        }
    }

    #[test]
    fn anything_else_is_unrecognised() {
        for bytes in [
            &b""[..],
            b" $D = {}",
            b"$VAR1 = {};",
            b"\x04",
            b"\x04\x0b\x08123",
            b"\x04\x0b\x0812345679",
            b"\x04\x0b\x07",
            b"---x",
            b"--",
            b"FrT",
            b"[1]",
            b"pst0\x04\x0b",
        ] {
            assert_eq!(sniff(bytes), None, "{}", bytes.escape_ascii());
        }
    }

    #[test]
    fn names_are_the_dsn_names() {
        let names: Vec<_> = Format::ALL.iter().map(|f| f.to_string()).collect();
        assert_eq!(names, ["default", "storable", "freezethaw", "yaml", "json"]);
    }
}
