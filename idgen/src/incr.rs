//! Generator `incr`. STUB — being written.
use crate::{Args, Error, IdGenerator};

/// Generator `incr`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Incr;

impl IdGenerator for Incr {
    fn name(&self) -> &'static str { "incr" }
    fn generate(&self, _args: &Args, _claimed_id: Option<&str>) -> Result<String, Error> { todo!() }
}
