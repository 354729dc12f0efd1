//! Driver `file`. STUB — being written.
use std::ops::ControlFlow;
use crate::{Args, Driver, Error};

/// The file driver.
#[derive(Debug)]
pub struct FileDriver;

impl FileDriver {
    /// Builds the driver from Perl's driver arguments.
    pub fn from_args(_args: &Args) -> Result<Self, Error> {
        todo!()
    }
}

impl Driver for FileDriver {
    fn name(&self) -> &'static str { "file" }
    fn retrieve(&self, _id: &str) -> Result<Option<Vec<u8>>, Error> { todo!() }
    fn store(&self, _id: &str, _data: &[u8]) -> Result<(), Error> { todo!() }
    fn remove(&self, _id: &str) -> Result<(), Error> { todo!() }
    fn traverse(&self, _visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> { todo!() }
}
