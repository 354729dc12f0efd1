//! Generator `static`. STUB — being written.
use crate::{Args, Error, IdGenerator};

/// Generator `static`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Static;

impl IdGenerator for Static {
    fn name(&self) -> &'static str { "static" }
    fn generate(&self, _args: &Args, _claimed_id: Option<&str>) -> Result<String, Error> { todo!() }
}
