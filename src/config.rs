//! A resolved DSN: the three components plus the options Perl keeps in globals.
//!
//! Perl resolves the DSN on every `new`/`load` and keeps process-wide switches in
//! package variables (`$CGI::Session::NAME`, `$CGI::Session::IP_MATCH`,
//! `$ENV{REMOTE_ADDR}`). A [`Config`] does the resolving once, holds those
//! switches explicitly, and hands out sessions; it is cheap to clone and can be
//! shared by every request of a long-running server.

use std::fmt;
use std::sync::Arc;

use cgi_session_drivers::{Args, Driver};
use cgi_session_idgen::IdGenerator;
use cgi_session_serializers::{Serializer, Value};

use crate::dsn::Dsn;
use crate::error::{Error, Result};
use crate::registry;
use crate::session::Session;

/// Perl's default cookie and parameter name, `$CGI::Session::NAME`.
pub const DEFAULT_NAME: &str = "CGISESSID";

/// The time source: epoch seconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A DSN resolved into a driver, a serializer and an id generator, with the session options.
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    dsn: Dsn,
    args: Args,
    driver: Arc<dyn Driver>,
    serializer: Arc<dyn Serializer>,
    id_generator: Arc<dyn IdGenerator>,
    name: String,
    ip_match: bool,
    ip_mismatch_keeps_session: bool,
    remote_addr: Option<String>,
    clock: Clock,
    auto_flush: bool,
}

/// Per-call options of [`Config::load_with`] and [`Config::new_with`]: what Perl passes
/// as arguments or reads from the environment.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The id the client asked for (Perl's claimed id). `None`, `""` and `"0"` mean none.
    pub claimed_id: Option<String>,
    /// The client address; `None` uses the config's, else `$REMOTE_ADDR` as Perl does.
    pub remote_addr: Option<String>,
    /// Perl's undocumented read-only load (what `find()` uses): no ATIME refresh and no
    /// IP check. Expired sessions are still deleted, as in Perl.
    pub read_only: bool,
    /// A per-session cookie/parameter name (Perl's 4th argument `{name => ...}`).
    pub name: Option<String>,
}

impl LoadOptions {
    /// Options that claim `id`.
    pub fn claim(id: impl Into<String>) -> LoadOptions {
        LoadOptions {
            claimed_id: Some(id.into()),
            ..LoadOptions::default()
        }
    }
}

impl Config {
    /// Resolves `dsn` (Perl's defaults when `None`) with Perl-named driver arguments.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join("cgi-session-doc-config");
    /// use cgi_session::{Args, Config};
    /// let args = Args::from([("Directory".to_string(), dir.display().to_string())]);
    /// let config = Config::new(Some("driver:file;serializer:default"), args).unwrap();
    /// assert_eq!(config.dsn().to_string(), "driver:file;serializer:default;id:md5");
    /// ```
    pub fn new(dsn: Option<&str>, args: Args) -> Result<Config> {
        Config::builder(dsn).args(args).build()
    }

    /// A builder, for options beyond the DSN and driver arguments.
    pub fn builder(dsn: Option<&str>) -> ConfigBuilder {
        ConfigBuilder {
            dsn: dsn.map(str::to_string),
            args: Args::new(),
            driver: None,
            serializer: None,
            id_generator: None,
            name: DEFAULT_NAME.to_string(),
            ip_match: false,
            ip_mismatch_keeps_session: false,
            remote_addr: None,
            clock: None,
            auto_flush: true,
        }
    }

    /// The parsed DSN.
    pub fn dsn(&self) -> &Dsn {
        &self.inner.dsn
    }

    /// The driver arguments.
    pub fn args(&self) -> &Args {
        &self.inner.args
    }

    /// The store.
    pub fn driver(&self) -> &dyn Driver {
        &*self.inner.driver
    }

    /// The serializer.
    pub fn serializer(&self) -> &dyn Serializer {
        &*self.inner.serializer
    }

    /// The id generator.
    pub fn id_generator(&self) -> &dyn IdGenerator {
        &*self.inner.id_generator
    }

    /// The cookie and parameter name (Perl's `CGI::Session->name`, default `CGISESSID`).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Whether a non-read-only load deletes a session whose stored address differs from
    /// the client's (Perl's `-ip_match` switch).
    pub fn ip_match(&self) -> bool {
        self.inner.ip_match
    }

    /// Whether an [`ip_match`](Self::ip_match) mismatch leaves the stored session in
    /// place (see [`ConfigBuilder::ip_mismatch_keeps_session`]).
    pub fn ip_mismatch_keeps_session(&self) -> bool {
        self.inner.ip_mismatch_keeps_session
    }

    /// Whether sessions flush themselves when dropped (see [`Session`]'s "Drop").
    pub fn auto_flush(&self) -> bool {
        self.inner.auto_flush
    }

    /// The current time, in epoch seconds, from the configured clock.
    pub fn now(&self) -> i64 {
        (self.inner.clock)()
    }

    /// The client address for a load: the call's, the config's, or `$REMOTE_ADDR`.
    pub(crate) fn remote_addr(&self, opts: &LoadOptions) -> String {
        opts.remote_addr
            .clone()
            .or_else(|| self.inner.remote_addr.clone())
            .or_else(|| std::env::var("REMOTE_ADDR").ok())
            .unwrap_or_default()
    }

    /// Perl's `CGI::Session->load(dsn, claimed_id, args)`: the stored session, or an empty
    /// one (no id) when there is none, it expired, or no id was claimed.
    pub fn load(&self, claimed_id: Option<&str>) -> Result<Session> {
        self.load_with(&LoadOptions {
            claimed_id: claimed_id.map(str::to_string),
            ..LoadOptions::default()
        })
    }

    /// Perl's `CGI::Session->new(dsn, claimed_id, args)`: the stored session, or a new one
    /// with a fresh id.
    pub fn new_session(&self, claimed_id: Option<&str>) -> Result<Session> {
        self.new_with(&LoadOptions {
            claimed_id: claimed_id.map(str::to_string),
            ..LoadOptions::default()
        })
    }

    /// [`load`](Self::load) with every option.
    pub fn load_with(&self, opts: &LoadOptions) -> Result<Session> {
        Session::load_from(self.clone(), opts)
    }

    /// [`new_session`](Self::new_session) with every option.
    pub fn new_with(&self, opts: &LoadOptions) -> Result<Session> {
        let mut session = Session::load_from(self.clone(), opts)?;
        session.create_if_empty()?;
        Ok(session)
    }

    /// The stored data of `id` exactly as it is, with no session semantics: no expiry, no
    /// ATIME refresh, nothing written. `None` when there is no record.
    pub fn peek(&self, id: &str) -> Result<Option<Value>> {
        let Some(bytes) = self.driver().retrieve(id)? else {
            return Ok(None);
        };
        let data = self
            .serializer()
            .thaw(&bytes)
            .map_err(|source| Error::Thaw {
                id: id.to_string(),
                source,
            })?;
        Ok(Some(data))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("dsn", &self.inner.dsn.to_string())
            .field("args", &self.inner.args)
            .field("name", &self.inner.name)
            .field("ip_match", &self.inner.ip_match)
            .field(
                "ip_mismatch_keeps_session",
                &self.inner.ip_mismatch_keeps_session,
            )
            .finish_non_exhaustive()
    }
}

/// Builds a [`Config`]; from [`Config::builder`].
#[must_use]
pub struct ConfigBuilder {
    dsn: Option<String>,
    args: Args,
    driver: Option<Arc<dyn Driver>>,
    serializer: Option<Arc<dyn Serializer>>,
    id_generator: Option<Arc<dyn IdGenerator>>,
    name: String,
    ip_match: bool,
    ip_mismatch_keeps_session: bool,
    remote_addr: Option<String>,
    clock: Option<Clock>,
    auto_flush: bool,
}

impl ConfigBuilder {
    /// Sets one driver argument by Perl's name (`Directory`, `UMask`, ...).
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.insert(name.into(), value.into());
        self
    }

    /// Adds driver arguments.
    pub fn args(mut self, args: Args) -> Self {
        self.args.extend(args);
        self
    }

    /// Uses this driver instead of the DSN's.
    pub fn driver(mut self, driver: impl Driver + 'static) -> Self {
        self.driver = Some(Arc::new(driver));
        self
    }

    /// Uses this serializer instead of the DSN's.
    pub fn serializer(mut self, serializer: impl Serializer + 'static) -> Self {
        self.serializer = Some(Arc::new(serializer));
        self
    }

    /// Uses this id generator instead of the DSN's.
    pub fn id_generator(mut self, generator: impl IdGenerator + 'static) -> Self {
        self.id_generator = Some(Arc::new(generator));
        self
    }

    /// The cookie and parameter name (Perl's `CGI::Session->name('X')`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Perl's `use CGI::Session '-ip_match'`.
    pub fn ip_match(mut self, on: bool) -> Self {
        self.ip_match = on;
        self
    }

    /// Not Perl's: under [`ip_match`](Self::ip_match), a load from another address
    /// gets an empty session and leaves the stored one untouched. Perl 4.48 deletes
    /// it (spec §2.3 step 11), so anyone who learns an id can log its owner out from
    /// any address (spec §8.1 item 6); with this on, only the owner's address can use
    /// or end the session. Perl peers see no difference but the session surviving.
    pub fn ip_mismatch_keeps_session(mut self, on: bool) -> Self {
        self.ip_mismatch_keeps_session = on;
        self
    }

    /// A fixed client address instead of `$REMOTE_ADDR`.
    pub fn remote_addr(mut self, addr: impl Into<String>) -> Self {
        self.remote_addr = Some(addr.into());
        self
    }

    /// A time source other than the system clock (epoch seconds).
    pub fn clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Whether sessions flush when dropped (default true, as Perl's `DESTROY`).
    pub fn auto_flush(mut self, on: bool) -> Self {
        self.auto_flush = on;
        self
    }

    /// Parses the DSN and builds every component it names that was not given explicitly.
    pub fn build(self) -> Result<Config> {
        let dsn_text = self.dsn.as_deref();
        let dsn = match dsn_text {
            Some(text) => Dsn::parse(text)?,
            None => Dsn::default(),
        };
        let shown = dsn_text.unwrap_or("");
        if self.name.is_empty() {
            return Err(Error::Usage("the session name must not be empty".into()));
        }
        if self.driver.is_none() && self.serializer.is_none() {
            dsn.check_pairing(shown)?;
        }
        let driver = match self.driver {
            Some(d) => d,
            None => registry::driver(dsn.driver_name(), &self.args, shown)?,
        };
        let serializer = match self.serializer {
            Some(s) => s,
            None => registry::serializer(dsn.serializer_name(), shown)?,
        };
        let id_generator = match self.id_generator {
            Some(g) => g,
            None => registry::id_generator(dsn.id_name(), shown)?,
        };
        Ok(Config {
            inner: Arc::new(Inner {
                dsn,
                args: self.args,
                driver,
                serializer,
                id_generator,
                name: self.name,
                ip_match: self.ip_match,
                ip_mismatch_keeps_session: self.ip_mismatch_keeps_session,
                remote_addr: self.remote_addr,
                clock: self.clock.unwrap_or_else(|| Arc::new(system_clock)),
                auto_flush: self.auto_flush,
            }),
        })
    }
}
