//! Driver `memory`. STUB — being written.
use std::ops::ControlFlow;
use crate::{Driver, Error};

/// An in-process store.
#[derive(Debug, Default)]
pub struct MemoryDriver;

impl Driver for MemoryDriver {
    fn name(&self) -> &'static str { "memory" }
    fn retrieve(&self, _id: &str) -> Result<Option<Vec<u8>>, Error> { todo!() }
    fn store(&self, _id: &str, _data: &[u8]) -> Result<(), Error> { todo!() }
    fn remove(&self, _id: &str) -> Result<(), Error> { todo!() }
    fn traverse(&self, _visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> { todo!() }
}
