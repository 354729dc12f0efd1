//! The two record formats of Ruby's CGI::Session stores, built on Marshal.

use std::borrow::Cow;

use super::escape::{cgi_escape, cgi_unescape};
use super::{dump, load, syntax, unsupported, DIGEST_ID_PREFIX};
use crate::{Error, Hash, PerlString, Serializer, Value};

/// Serializer `ruby_filestore`: the body of a Ruby FileStore session file, one
/// `CGI.escape(key)=CGI.escape(Marshal.dump(value))` line per entry (cgi/session.rb).
///
/// Thaw reads the lines as `FileStore#restore` does: split on `\n`, a trailing `\r`
/// chomped, each line cut at its first `=`, the key unescaped into a byte string and
/// the value unescaped and read by [`load`](super::load); a later line wins over an
/// earlier one with the same key. An empty body is an empty hash. A line without `=`
/// is an error, as it is for Ruby.
///
/// ```
/// use cgi_session_serializers::{RubyFileStore, Serializer, Value};
///
/// let body = b"user=%04%08I%22%0Aalice%06%3A%06ET\nn=%04%08i%06\n";
/// let record = RubyFileStore.thaw(body).unwrap();
/// assert_eq!(record, Value::hash([("user", Value::from("alice")), ("n", Value::Int(1))]));
/// assert_eq!(RubyFileStore.freeze(&record).unwrap(), b"n=%04%08i%06\nuser=%04%08I%22%0Aalice%06%3A%06ET\n");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RubyFileStore;

/// Serializer `ruby_pstore`: a PStore file of Ruby's `CGI::Session::PStore`, the
/// Marshal dump of `{"hash" => record}` (pstore.rb).
///
/// Thaw reads the root Hash (anything else is "PStore file seems to be corrupted", as
/// Ruby says) and gives its `"hash"` entry; a file without one, or an empty file, is
/// an empty hash.
///
/// ```
/// use cgi_session_serializers::{RubyPStore, Serializer, Value};
///
/// let record = Value::hash([("n", Value::Int(1))]);
/// let file = RubyPStore.freeze(&record).unwrap();
/// assert_eq!(file, b"\x04\x08{\x06I\"\x09hash\x06:\x06ET{\x06I\"\x06n\x06;\x00Ti\x06");
/// assert_eq!(RubyPStore.thaw(&file).unwrap(), record);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RubyPStore;

/// The key of PStore's root that CGI::Session keeps the record under.
const PSTORE_KEY: &str = "hash";

impl Serializer for RubyFileStore {
    fn name(&self) -> &'static str {
        "ruby_filestore"
    }

    /// Writes one line per entry, in key order. A `_SESSION_ID` that is a listing's
    /// pseudo-id ([`DIGEST_ID_PREFIX`]) is left out.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        for (key, value) in stored_entries(data, "ruby_filestore")?.iter() {
            body.extend(cgi_escape(key.as_bytes()));
            body.push(b'=');
            body.extend(cgi_escape(&dump(value)?));
            body.push(b'\n');
        }
        Ok(body)
    }

    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        let mut record = Hash::new();
        let mut start = 0;
        while start < bytes.len() {
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |at| start + at);
            let mut line = &bytes[start..end];
            if let Some(chomped) = line.strip_suffix(b"\r") {
                line = chomped;
            }
            let Some(eq) = line.iter().position(|&b| b == b'=') else {
                return Err(syntax(
                    start,
                    "a line without `=` (Ruby's FileStore cannot read it either)",
                ));
            };
            let key = PerlString::from_bytes(cgi_unescape(&line[..eq]));
            let value = load(&cgi_unescape(&line[eq + 1..]))
                .map_err(|e| in_value(e, start + eq + 1, &key))?;
            record.insert(key, value);
            start = end + 1;
        }
        Ok(Value::from(record))
    }

    fn id_from_store(&self) -> bool {
        true
    }
}

impl Serializer for RubyPStore {
    fn name(&self) -> &'static str {
        "ruby_pstore"
    }

    /// Writes `{"hash" => record}`. A `_SESSION_ID` that is a listing's pseudo-id
    /// ([`DIGEST_ID_PREFIX`]) is left out.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        let record = Value::from(stored_entries(data, "ruby_pstore")?.into_owned());
        dump(&Value::hash([(PSTORE_KEY, record)]))
    }

    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        if bytes.is_empty() {
            return Ok(Value::from(Hash::new()));
        }
        let Value::Hash(root) = load(bytes)? else {
            return Err(syntax(
                0,
                "PStore file seems to be corrupted: its root is not a Hash with string keys",
            ));
        };
        match root.get(&PerlString::from(PSTORE_KEY)) {
            None | Some(Value::Undef) => Ok(Value::from(Hash::new())),
            Some(record @ Value::Hash(_)) => Ok(record.clone()),
            Some(other) => Err(unsupported(format!(
                "the PStore's \"hash\" entry is not a Hash with string keys: {:.80}",
                format!("{other:?}")
            ))),
        }
    }

    fn id_from_store(&self) -> bool {
        true
    }
}

/// The record's entries as a Ruby store keeps them: without a `_SESSION_ID` that is a
/// listing's pseudo-id (the store knows the session by its file, not by that).
fn stored_entries<'v>(data: &'v Value, format: &str) -> Result<Cow<'v, Hash>, Error> {
    let Some(hash) = data.as_hash() else {
        return Err(unsupported(format!(
            "a {format} record is a hash, not {data:.80?}"
        )));
    };
    let id = PerlString::from("_SESSION_ID");
    let pseudo = hash
        .get(&id)
        .and_then(Value::as_perl_str)
        .is_some_and(|s| s.as_bytes().starts_with(DIGEST_ID_PREFIX.as_bytes()));
    if !pseudo {
        return Ok(Cow::Borrowed(hash));
    }
    let mut kept = hash.clone();
    kept.remove(&id);
    Ok(Cow::Owned(kept))
}

/// An error in the Marshal dump of the value of `key`, whose escaped text starts at
/// byte `at` of the body: a syntax error points there, naming the place in the dump.
fn in_value(e: Error, at: usize, key: &PerlString) -> Error {
    match e {
        Error::Syntax {
            offset, message, ..
        } => syntax(
            at,
            format!(
                "the value of {:?}: at byte {offset} of its Marshal dump: {message}",
                key.to_text()
            ),
        ),
        Error::Unsupported { message, .. } => {
            unsupported(format!("the value of {:?}: {message}", key.to_text()))
        }
    }
}
