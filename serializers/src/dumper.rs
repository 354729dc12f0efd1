//! Serializer `default`: Data::Dumper text (spec §7.1). STUB — being written.
use crate::{Error, Serializer, Value};

/// Data::Dumper with CGI::Session's settings.
#[derive(Debug, Default, Clone, Copy)]
pub struct Dumper;

impl Serializer for Dumper {
    fn name(&self) -> &'static str {
        "default"
    }
    fn freeze(&self, _data: &Value) -> Result<Vec<u8>, Error> {
        todo!()
    }
    fn thaw(&self, _bytes: &[u8]) -> Result<Value, Error> {
        todo!()
    }
}
