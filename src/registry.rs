//! Component lookup by the names a DSN uses (spec §1.2).
//!
//! Perl resolves `driver:NAME` to the module `CGI::Session::Driver::NAME` at run time;
//! here each name maps to a constructor in one table per kind. A store behind a cargo
//! feature has its row behind the same feature, so the tables list exactly what this
//! build can open. Programs with their own components skip the registry and hand
//! instances to [`ConfigBuilder`](crate::ConfigBuilder).

use std::sync::Arc;

use cgi_session_drivers::{self as drivers, Args, Driver};
use cgi_session_idgen::{self as idgen, IdGenerator};
use cgi_session_serializers::{self as serializers, Serializer};

use crate::error::{Error, Result};

type DriverCtor = fn(&Args) -> Result<Arc<dyn Driver>>;
type SerializerCtor = fn() -> Arc<dyn Serializer>;
type IdGeneratorCtor = fn() -> Arc<dyn IdGenerator>;

/// Every driver of this build: its DSN name and how to build it from driver args.
const DRIVER_TABLE: &[(&str, DriverCtor)] = &[
    ("file", |args| {
        Ok(Arc::new(drivers::FileDriver::from_args(args)?))
    }),
    ("memory", |_| Ok(Arc::new(drivers::MemoryDriver::default()))),
    // Ruby's cgi/session stores; the DSN pairs each with its own serializer.
    ("ruby_filestore", |args| {
        Ok(Arc::new(drivers::RubyFileStoreDriver::from_args(args)?))
    }),
    ("ruby_pstore", |args| {
        Ok(Arc::new(drivers::RubyPStoreDriver::from_args(args)?))
    }),
    #[cfg(feature = "redis")]
    ("redis", |args| {
        Ok(Arc::new(drivers::RedisDriver::from_args(args)?))
    }),
    #[cfg(feature = "memcached")]
    ("memcached", |args| {
        Ok(Arc::new(drivers::MemcachedDriver::from_args(args)?))
    }),
    #[cfg(feature = "db_file")]
    ("db_file", |args| {
        Ok(Arc::new(drivers::DbFileDriver::from_args(args)?))
    }),
    #[cfg(feature = "sqlite")]
    ("sqlite", |args| {
        Ok(Arc::new(drivers::SqliteDriver::from_args(args)?))
    }),
    #[cfg(feature = "postgresql")]
    ("postgresql", |args| {
        Ok(Arc::new(drivers::PostgresqlDriver::from_args(args)?))
    }),
    #[cfg(feature = "mysql")]
    ("mysql", |args| {
        Ok(Arc::new(drivers::MysqlDriver::from_args(args)?))
    }),
];

/// Every serializer of this build, by DSN name.
const SERIALIZER_TABLE: &[(&str, SerializerCtor)] = &[
    ("default", || Arc::new(serializers::Dumper)),
    ("freezethaw", || Arc::new(serializers::FreezeThaw)),
    ("storable", || Arc::new(serializers::Storable)),
    ("json", || Arc::new(serializers::Json)),
    ("yaml", || Arc::new(serializers::Yaml)),
    // Ruby's CGI::Session stores: each the format of its own driver, never read by `auto`.
    ("ruby_filestore", || Arc::new(serializers::RubyFileStore)),
    ("ruby_pstore", || Arc::new(serializers::RubyPStore)),
    // Rust only: reads every format above, writes Perl's default (spec §7 first bytes).
    ("auto", || Arc::new(auto(Arc::new(serializers::Dumper)))),
];

/// Every id generator of this build, by DSN name.
const ID_GENERATOR_TABLE: &[(&str, IdGeneratorCtor)] = &[
    ("md5", || Arc::new(idgen::Md5)),
    ("incr", || Arc::new(idgen::Incr)),
    ("static", || Arc::new(idgen::Static)),
];

fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
    table.iter().map(|(name, _)| *name).collect()
}

/// Driver names this build knows.
pub fn driver_names() -> Vec<&'static str> {
    names(DRIVER_TABLE)
}

/// Serializer names this build knows.
pub fn serializer_names() -> Vec<&'static str> {
    names(SERIALIZER_TABLE)
}

/// Id generator names this build knows.
pub fn id_generator_names() -> Vec<&'static str> {
    names(ID_GENERATOR_TABLE)
}

fn lookup<'t, T>(
    table: &'t [(&'static str, T)],
    kind: &str,
    name: &str,
    dsn: &str,
) -> Result<&'t T> {
    table
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, ctor)| ctor)
        .ok_or_else(|| Error::Dsn {
            dsn: dsn.to_string(),
            message: format!(
                "no {kind} named {name:?} in this build (known: {})",
                names(table).join(", ")
            ),
        })
}

/// Builds the driver `name` from Perl-named driver arguments. `dsn` is what the
/// user wrote, for the error message.
pub fn driver(name: &str, args: &Args, dsn: &str) -> Result<Arc<dyn Driver>> {
    lookup(DRIVER_TABLE, "driver", name, dsn)?(args)
}

/// The serializer `name`.
pub fn serializer(name: &str, dsn: &str) -> Result<Arc<dyn Serializer>> {
    Ok(lookup(SERIALIZER_TABLE, "serializer", name, dsn)?())
}

/// Serializers `auto` does not read: itself, and the Ruby stores' formats, which
/// live only in their own drivers' stores.
const NOT_AUTO: &[&str] = &["auto", "ruby_filestore", "ruby_pstore"];

/// Serializer `auto` writing with `writer`: it reads a record in any format of
/// Perl's (or `json`) this build has a serializer for (told apart by its first
/// bytes), so a store holding records of several serializers reads through it.
pub fn auto(writer: Arc<dyn Serializer>) -> serializers::Auto {
    let readers = SERIALIZER_TABLE
        .iter()
        .filter(|(name, _)| !NOT_AUTO.contains(name))
        .map(|(_, ctor)| ctor());
    serializers::Auto::new(writer, readers)
}

/// The id generator `name`.
pub fn id_generator(name: &str, dsn: &str) -> Result<Arc<dyn IdGenerator>> {
    Ok(lookup(ID_GENERATOR_TABLE, "id generator", name, dsn)?())
}
