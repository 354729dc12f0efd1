//! Serializer `auto`: reads a record in any format it recognises, writes one.
//!
//! A store whose serializer changed (or that Perl and Rust programs fill with
//! different serializers) holds records of several formats, and nothing in a
//! record names its serializer. [`Auto`] [`sniff`]s each record's first bytes,
//! hands it to the reader for that format, and writes with the one serializer it
//! was given — so every record it rewrites ends up in that format.
//!
//! It is built from serializers, not from names: the caller (the facade's
//! registry, or a program with its own serializers) decides which exist.

use std::sync::Arc;

use crate::sniff::{sniff, Format};
use crate::{Error, Serializer, Value};

/// The serializer's name, used in DSNs and in errors.
const FORMAT: &str = "auto";

/// Reads whichever format a record is in; writes with one serializer.
///
/// ```
/// use std::sync::Arc;
/// use cgi_session_serializers::{Auto, Dumper, Json, Serializer, Value};
///
/// let auto = Auto::new(Arc::new(Dumper), [Arc::new(Json) as Arc<dyn Serializer>]);
/// let data = Value::hash([("n", 1)]);
/// assert_eq!(auto.thaw(br#"{"n":1}"#).unwrap(), data);
/// assert_eq!(auto.thaw(b"$D = {'n' => 1};;$D").unwrap(), data);
/// assert_eq!(auto.freeze(&data).unwrap(), b"$D = {'n' => 1};;$D");
/// ```
#[derive(Clone)]
pub struct Auto {
    writer: Arc<dyn Serializer>,
    readers: Vec<Arc<dyn Serializer>>,
}

impl Auto {
    /// Writes with `writer`; reads each format with the serializer of the same name
    /// ([`Format::serializer_name`]) among `writer` and `readers`.
    pub fn new(
        writer: Arc<dyn Serializer>,
        readers: impl IntoIterator<Item = Arc<dyn Serializer>>,
    ) -> Auto {
        Auto {
            writer,
            readers: readers.into_iter().collect(),
        }
    }

    /// The serializer records are written with.
    pub fn writer(&self) -> &dyn Serializer {
        &*self.writer
    }

    /// The serializer that reads `format`, if there is one.
    pub fn reader(&self, format: Format) -> Option<&dyn Serializer> {
        std::iter::once(&self.writer)
            .chain(&self.readers)
            .find(|s| s.name() == format.serializer_name())
            .map(|s| &**s)
    }
}

impl std::fmt::Debug for Auto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auto")
            .field("writer", &self.writer.name())
            .field(
                "readers",
                &self.readers.iter().map(|r| r.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Serializer for Auto {
    fn name(&self) -> &'static str {
        FORMAT
    }

    /// Writes with the writer serializer.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        self.writer.freeze(data)
    }

    /// Sniffs the format and thaws with its reader. Fails naming the format when no
    /// reader was given for it, and showing the first bytes when no format matches.
    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        self.reader_for(bytes)?.thaw(bytes)
    }

    /// The sniffed format's [`Serializer::thaw_fields`].
    fn thaw_fields(&self, bytes: &[u8], keys: &[&str]) -> Result<Value, Error> {
        self.reader_for(bytes)?.thaw_fields(bytes, keys)
    }
}

impl Auto {
    /// The reader for the record's format.
    fn reader_for(&self, bytes: &[u8]) -> Result<&dyn Serializer, Error> {
        let Some(format) = sniff(bytes) else {
            return Err(Error::Syntax {
                format: FORMAT,
                offset: 0,
                message: format!("unrecognised format (first bytes: {})", first_bytes(bytes)),
            });
        };
        match self.reader(format) {
            Some(reader) => Ok(reader),
            None => Err(Error::Unsupported {
                format: FORMAT,
                message: format!(
                    "the record is in the {format} format, which this build cannot read"
                ),
            }),
        }
    }
}

/// Up to 16 bytes, as hex and as text, for an error message.
fn first_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "none, the record is empty".to_string();
    }
    let head = &bytes[..bytes.len().min(16)];
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > head.len() { " ..." } else { "" };
    format!("{}{more} \"{}{more}\"", hex.join(" "), head.escape_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dumper, Json};

    fn auto() -> Auto {
        Auto::new(Arc::new(Dumper), [Arc::new(Json) as Arc<dyn Serializer>])
    }

    /// Records Perl wrote with two serializers, in one directory's worth of bytes.
    #[test]
    fn reads_perl_records_of_each_format_it_has() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat-fixtures");
        for (set, reader) in [
            ("file-default", &Dumper as &dyn Serializer),
            ("file-json", &Json),
        ] {
            let bytes = std::fs::read(root.join(set).join("cgisess_fx_basic")).unwrap();
            assert_eq!(
                auto().thaw(&bytes).unwrap(),
                reader.thaw(&bytes).unwrap(),
                "{set}"
            );
        }
        let storable = std::fs::read(root.join("file-storable/cgisess_fx_basic")).unwrap();
        let err = auto().thaw(&storable).unwrap_err().to_string();
        assert_eq!(
            err,
            "auto: the record is in the storable format, which this build cannot read"
        );
    }

    #[test]
    fn writes_with_its_writer_only() {
        let data = Value::hash([("a", Value::array([1]))]);
        let auto = Auto::new(Arc::new(Json), [Arc::new(Dumper) as Arc<dyn Serializer>]);
        assert_eq!(auto.freeze(&data).unwrap(), Json.freeze(&data).unwrap());
        assert_eq!(auto.writer().name(), "json");
        assert_eq!(auto.reader(Format::Json).unwrap().name(), "json");
        assert_eq!(auto.reader(Format::Dumper).unwrap().name(), "default");
        assert!(auto.reader(Format::Yaml).is_none());
    }

    #[test]
    fn unknown_bytes_are_shown() {
        let err = auto().thaw(b"<session id='1'/>").unwrap_err();
        assert_eq!(
            err.to_string(),
            "auto: at byte 0: unrecognised format (first bytes: \
             3c 73 65 73 73 69 6f 6e 20 69 64 3d 27 31 27 2f ... \"<session id=\\'1\\'/ ...\")"
        );
        let err = auto().thaw(b"").unwrap_err().to_string();
        assert!(err.contains("none, the record is empty"), "{err}");
    }

    #[test]
    fn a_readers_error_is_passed_on() {
        let err = auto().thaw(b"{\"a\":").unwrap_err();
        assert!(matches!(err, Error::Syntax { format: "json", .. }), "{err}");
    }
}
