//! Component lookup by the names a DSN uses (spec §1.2).
//!
//! Perl resolves `driver:NAME` to the module `CGI::Session::Driver::NAME` at run time;
//! here each name maps to a constructor. Programs with their own components skip
//! the registry and hand instances to [`ConfigBuilder`](crate::ConfigBuilder).

use std::sync::Arc;

use cgi_session_drivers::{self as drivers, Args, Driver};
use cgi_session_idgen::{self as idgen, IdGenerator};
use cgi_session_serializers::{self as serializers, Serializer};

use crate::error::{Error, Result};

/// Driver names this build knows.
pub const DRIVERS: &[&str] = &["file", "memory"];
/// Serializer names this build knows.
pub const SERIALIZERS: &[&str] = &["default"];
/// Id generator names this build knows.
pub const ID_GENERATORS: &[&str] = &["md5", "incr", "static"];

fn unknown(kind: &str, name: &str, known: &[&str], dsn: &str) -> Error {
    Error::Dsn {
        dsn: dsn.to_string(),
        message: format!(
            "no {kind} named {name:?} in this build (known: {})",
            known.join(", ")
        ),
    }
}

/// Builds the driver `name` from Perl-named driver arguments.
pub fn driver(name: &str, args: &Args, dsn: &str) -> Result<Arc<dyn Driver>> {
    Ok(match name {
        "file" => Arc::new(drivers::FileDriver::from_args(args)?),
        "memory" => Arc::new(drivers::MemoryDriver::default()),
        _ => return Err(unknown("driver", name, DRIVERS, dsn)),
    })
}

/// The serializer `name`.
pub fn serializer(name: &str, dsn: &str) -> Result<Arc<dyn Serializer>> {
    Ok(match name {
        "default" => Arc::new(serializers::Dumper),
        _ => return Err(unknown("serializer", name, SERIALIZERS, dsn)),
    })
}

/// The id generator `name`.
pub fn id_generator(name: &str, dsn: &str) -> Result<Arc<dyn IdGenerator>> {
    Ok(match name {
        "md5" => Arc::new(idgen::Md5),
        "incr" => Arc::new(idgen::Incr),
        "static" => Arc::new(idgen::Static),
        _ => return Err(unknown("id generator", name, ID_GENERATORS, dsn)),
    })
}
