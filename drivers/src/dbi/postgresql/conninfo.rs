//! From Perl's `DataSource`, `User` and `Password` to a connection, as DBD::Pg and
//! libpq get there.

use std::sync::OnceLock;

use postgres::config::Host;
use postgres::{Client, Config, NoTls};
use regex::Regex;

use super::super::source::{data_source, dbi_rest, login_name, password, user};
use super::NAME;
use crate::args::bad_arg;
use crate::{Args, Error};

/// Where libpq looks for the server's socket when no host is given (Debian's build;
/// other builds use `/tmp`, tried second).
const SOCKET_DIRS: [&str; 2] = ["/var/run/postgresql", "/tmp"];

/// A PostgreSQL server and database, ready to connect.
pub(super) struct Server {
    config: Config,
}

impl Server {
    /// Reads the arguments as DBD::Pg 3.16 does: `dbi:Pg:` then libpq `key=value`
    /// pairs separated by `;` (or spaces), `db=` and `database=` meaning `dbname=`;
    /// `User` and `Password`, when not empty, win over the data source's `user=` and
    /// `password=`. What is still missing comes from libpq's environment variables
    /// (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`) and defaults (the
    /// local socket directory, port 5432, the login name as user, the user as
    /// database).
    pub(super) fn from_args(args: &Args) -> Result<Server, Error> {
        let source = data_source(args, "dbi:Pg:dbname=app;host=localhost;port=5432")?;
        let rest = dbi_rest(source, "Pg", NAME)?;
        let mut config: Config = libpq_conninfo(rest)
            .parse()
            .map_err(|e| bad_arg("DataSource", format!("{source:?}: {e}")))?;
        if let Some(user) = user(args).filter(|u| !u.is_empty()) {
            config.user(&user);
        }
        if let Some(password) = password(args).filter(|p| !p.is_empty()) {
            config.password(password);
        }
        apply_libpq_defaults(&mut config)?;
        Ok(Server { config })
    }

    /// Connects, without TLS (the `postgres` crate is built without a TLS backend here;
    /// `sslmode=require` therefore fails with the server's refusal, never silently).
    pub(super) fn connect(&self) -> Result<Client, Error> {
        self.config.connect(NoTls).map_err(|e| Error::Backend {
            driver: NAME,
            message: format!(
                "couldn't connect to {}: {}",
                self.describe(),
                full_message(&e)
            ),
        })
    }

    /// `PostgreSQL database "test" at 127.0.0.1:5432 as user "postgres"`; never the password.
    pub(super) fn describe(&self) -> String {
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            })
            .collect();
        let user = self.config.get_user().unwrap_or("");
        format!(
            "PostgreSQL database {:?} at {} as user {user:?}",
            self.config.get_dbname().unwrap_or(user),
            hosts.join(",")
        )
    }
}

/// DBD::Pg's rewriting of the part after `dbi:Pg:` into a libpq connection string:
/// the first `db=` or `database=` becomes `dbname=`; when dbname is quoted, double
/// quotes become single quotes; `;` outside single quotes becomes a space.
fn libpq_conninfo(rest: &str) -> String {
    static SYNONYM: OnceLock<Regex> = OnceLock::new();
    static QUOTED_DBNAME: OnceLock<Regex> = OnceLock::new();
    let synonym =
        SYNONYM.get_or_init(|| Regex::new(r"\b(?:db|database)\s*=").expect("valid regex"));
    let quoted =
        QUOTED_DBNAME.get_or_init(|| Regex::new(r#"dbname\s*=\s*["']"#).expect("valid regex"));
    let mut text = synonym.replacen(rest, 1, "dbname=").into_owned();
    if quoted.is_match(&text) {
        text = text.replace('"', "'");
    }
    let mut in_quote = false;
    text.chars()
        .map(|c| match c {
            ';' if !in_quote => ' ',
            '\'' => {
                in_quote = !in_quote;
                c
            }
            _ => c,
        })
        .collect()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn apply_libpq_defaults(config: &mut Config) -> Result<(), Error> {
    if config.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(hosts) => hosts.split(',').for_each(|h| {
                config.host(h);
            }),
            None => {
                let dir = SOCKET_DIRS
                    .into_iter()
                    .find(|dir| std::path::Path::new(dir).is_dir())
                    .unwrap_or(SOCKET_DIRS[0]);
                config.host_path(dir);
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(port) = env("PGPORT") {
            let port = port
                .parse()
                .map_err(|_| bad_arg("DataSource", format!("PGPORT={port:?} is not a port")))?;
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        if let Some(user) = env("PGUSER").or_else(login_name) {
            config.user(&user);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(dbname) = env("PGDATABASE") {
            config.dbname(&dbname);
        }
    }
    if config.get_password().is_none() {
        if let Some(password) = env("PGPASSWORD") {
            config.password(password);
        }
    }
    Ok(())
}

/// The error with its causes: the `postgres` crate's top-level message for a failed
/// connection is often just "error connecting to server".
pub(super) fn full_message(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbd_pg_rewrites_the_data_source() {
        assert_eq!(
            libpq_conninfo("dbname=test;host=127.0.0.1;port=5432"),
            "dbname=test host=127.0.0.1 port=5432"
        );
        assert_eq!(libpq_conninfo("db=test;host=h"), "dbname=test host=h");
        assert_eq!(libpq_conninfo("database = t"), "dbname= t");
        assert_eq!(libpq_conninfo("mydb=x"), "mydb=x");
        assert_eq!(
            libpq_conninfo("dbname=\"a;b\";host=h"),
            "dbname='a;b' host=h"
        );
        assert_eq!(
            libpq_conninfo("password='p;w';db=t"),
            "password='p;w' dbname=t"
        );
    }

    #[test]
    fn arguments_become_a_config() {
        let args: Args = [
            (
                "DataSource",
                "dbi:Pg:dbname=test;host=db.example;port=5433;user=dsn_user",
            ),
            ("User", "alice"),
            ("Password", "secret"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let server = Server::from_args(&args).unwrap();
        assert_eq!(server.config.get_user(), Some("alice"));
        assert_eq!(server.config.get_password(), Some(&b"secret"[..]));
        let shown = server.describe();
        assert_eq!(
            shown,
            "PostgreSQL database \"test\" at db.example:5433 as user \"alice\""
        );
    }

    #[test]
    fn bad_data_sources_are_named() {
        for source in [
            "dbi:Pg:nosuchkey=1",
            "dbi:Pg:test",
            "dbi:mysql:test",
            "host=x",
        ] {
            let args: Args = [("DataSource".to_owned(), source.to_owned())].into();
            let err = Server::from_args(&args).err().expect(source).to_string();
            assert!(
                err.starts_with("driver argument DataSource: "),
                "{source}: {err}"
            );
        }
    }
}
