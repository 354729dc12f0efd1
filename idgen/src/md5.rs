//! Generator `md5`. STUB — being written.
use crate::{Args, Error, IdGenerator};

/// Generator `md5`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Md5;

impl IdGenerator for Md5 {
    fn name(&self) -> &'static str { "md5" }
    fn generate(&self, _args: &Args, _claimed_id: Option<&str>) -> Result<String, Error> { todo!() }
}
