//! Sessions in an [axum](https://docs.rs/axum) app, shared with Perl CGI::Session pages.
//!
//! [`SessionLayer`] wraps the routes of an app. For every request it
//! 1. reads the claimed id as Perl does ([`cgi::claimed_id`](crate::cgi::claimed_id)):
//!    the cookie named [`Config::name`] (default `CGISESSID`) first, then the query
//!    string parameter of the same name (the body is never read);
//! 2. loads the session through the config's DSN (Perl's `new`, or `load` with
//!    [`SessionLayer::load_only`]), refreshing ATIME as Perl's load does;
//! 3. runs the handler, which reaches the session with the [`SessionHandle`] extractor;
//! 4. flushes the session, and answers 500 if the store fails (the handler's
//!    response is dropped then, since what it says was not saved);
//! 5. adds the `Set-Cookie` CGI.pm's `$session->header` would print
//!    ([`Session::cookie_with`]) when the session is new, its id changed (see
//!    [`SessionHandle::rotate_id`]), or it has a timeout (so the cookie's `expires`
//!    moves with the last access, as it does on a Perl page printing the header on
//!    every hit).
//!
//! A store's I/O is blocking, so loads, flushes and rotations run on tokio's blocking
//! pool (`spawn_blocking`), never on the async workers.
//!
//! The client address Perl records (`_SESSION_REMOTE_ADDR`, and `-ip_match`) is the
//! peer address when the app is served with
//! `into_make_service_with_connect_info::<SocketAddr>()`; otherwise the config's
//! [`remote_addr`](crate::ConfigBuilder::remote_addr), or none.
//!
//! A session deleted by the handler is removed from the store; no cookie is sent for
//! it. As in Perl, a new session that replaced an expired one gets CGI.pm's
//! `expires` one day in the past.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use cgi_session::web::axum::{SessionHandle, SessionLayer};
//! use cgi_session::{Args, Config};
//!
//! async fn visits(session: SessionHandle) -> String {
//!     let mut session = session.lock();
//!     let n = session.param("visits").and_then(|v| v.to_number()).map_or(0, |n| n.as_i64()) + 1;
//!     session.set_param("visits", n).unwrap();
//!     format!("visit {n} of session {}", session.id().unwrap_or_default())
//! }
//!
//! async fn login(session: SessionHandle) -> &'static str {
//!     // A fresh id at login, against session fixation; the data stays.
//!     session.rotate_id().await.unwrap();
//!     "logged in"
//! }
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let args = Args::from([("Directory".to_string(), "/var/lib/app/sessions".to_string())]);
//! let config = Config::new(Some("driver:file;serializer:default"), args)?;
//! let app = Router::new()
//!     .route("/", get(visits))
//!     .route("/login", get(login))
//!     .layer(SessionLayer::new(config));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use ::axum::extract::{ConnectInfo, FromRequestParts};
use ::axum::http::{header, request::Parts, HeaderValue, Request, StatusCode};
use ::axum::response::{IntoResponse, Response};
use cgi_session_serializers::Value;

use crate::cgi::{CgiQuery, CookieOptions};
use crate::config::{Config, LoadOptions};
use crate::error::{Error, Result};
use crate::session::Session;

/// Whether a request without a live session gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Perl's `CGI::Session->new($dsn, $query, ...)`.
    Create,
    /// Perl's `CGI::Session->load($dsn, $query, ...)`: the session may be empty.
    Load,
}

/// The tower layer that gives every request its session; see the module docs.
#[derive(Debug, Clone)]
pub struct SessionLayer {
    config: Config,
    mode: Mode,
    cookie: CookieOptions,
}

impl SessionLayer {
    /// A layer that loads the request's session from `config`'s store, or creates
    /// one (Perl's `new`), with CGI.pm's default cookie attributes (`path=/`).
    pub fn new(config: Config) -> SessionLayer {
        SessionLayer {
            config,
            mode: Mode::Create,
            cookie: CookieOptions::default(),
        }
    }

    /// Loads only (Perl's `load`): a request without a live session gets an empty
    /// one, which the handler may turn into a new one with [`Session::renew`].
    pub fn load_only(mut self) -> SessionLayer {
        self.mode = Mode::Load;
        self
    }

    /// The cookie's attributes: domain, path, `secure`, `HttpOnly`, `SameSite`; an
    /// error when they cannot go into a header ([`CookieOptions::validate`]).
    pub fn cookie_options(mut self, options: CookieOptions) -> Result<SessionLayer> {
        options.validate()?;
        self.cookie = options;
        Ok(self)
    }

    /// The load options of a request: the claimed id from its cookies and query
    /// string, and the peer address when the server records it.
    fn load_options<B>(&self, request: &Request<B>) -> LoadOptions {
        let cookies: Vec<&[u8]> = request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        let query_string = request.uri().query().unwrap_or_default();
        let query = CgiQuery::from_parts(&cookies.join(&b"; "[..]), query_string.as_bytes());
        let mut options = self.config.request_options(&query, None);
        options.remote_addr = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip().to_string());
        options
    }

    /// After the handler: flush, and the `Set-Cookie` value to send, if any.
    fn finish(&self, handle: &SessionHandle, before: &Before) -> Result<Option<String>> {
        let mut session = handle.lock();
        session.flush()?;
        let changed = before.new || session.id() != before.id;
        let sliding = session.etime().is_some_and(Value::is_true);
        // `cookie_options` validated the options when the layer was built.
        Ok((changed || sliding)
            .then(|| session.unchecked_cookie(&self.cookie))
            .flatten())
    }
}

/// What the session was before the handler ran.
struct Before {
    id: Option<String>,
    new: bool,
}

impl<S> tower::Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> SessionService<S> {
        SessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`SessionLayer`] wraps around the app's routes.
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    layer: SessionLayer,
}

impl<S, B> tower::Service<Request<B>> for SessionService<S>
where
    S: tower::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was polled ready serves this request (tower's usual swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let options = layer.load_options(&request);
            let config = layer.config.clone();
            let mode = layer.mode;
            let loaded = blocking(move || match mode {
                Mode::Create => config.new_with(&options),
                Mode::Load => config.load_with(&options),
            })
            .await;
            let session = match loaded {
                Ok(session) => session,
                Err(e) => return Ok(store_failed("load", &e)),
            };
            let before = Before {
                id: session.id(),
                new: session.is_new(),
            };
            let handle = SessionHandle(Arc::new(Mutex::new(session)));
            request.extensions_mut().insert(handle.clone());
            let mut response = inner.call(request).await?;
            let cookie = blocking(move || layer.finish(&handle, &before)).await;
            match cookie {
                Ok(Some(cookie)) => match HeaderValue::try_from(cookie) {
                    Ok(value) => {
                        response.headers_mut().append(header::SET_COOKIE, value);
                    }
                    Err(e) => {
                        let e =
                            Error::Usage(format!("the session cookie is not a header value: {e}"));
                        return Ok(store_failed("cookie", &e));
                    }
                },
                Ok(None) => {}
                Err(e) => return Ok(store_failed("flush", &e)),
            }
            Ok(response)
        })
    }
}

/// The 500 answer when the store fails: the error goes to the server's log (standard
/// error), not to the client, since it may name paths and hosts.
fn store_failed(step: &str, error: &Error) -> Response {
    eprintln!("cgi-session: session {step} failed: {error}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "500 Internal Server Error: the session store failed\n",
    )
        .into_response()
}

/// Runs blocking session I/O on tokio's blocking pool; a panic there is resumed here.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::Usage(format!("the session task was cancelled: {e}"))),
    }
}

/// The request's session, for handlers: an extractor that [`SessionLayer`] provides.
///
/// Lock it for short, synchronous work ([`lock`](Self::lock)); the guard is not
/// `Send`, so it cannot be held across an `.await`. The layer flushes after the
/// handler, so a handler does not flush.
#[derive(Debug, Clone)]
pub struct SessionHandle(Arc<Mutex<Session>>);

impl SessionHandle {
    /// The session (a panic in another holder of the lock does not poison it).
    pub fn lock(&self) -> MutexGuard<'_, Session> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`Session::rotate_id`] on the blocking pool: a fresh id, the data kept, the old
    /// record removed. The layer then sends the new cookie.
    pub async fn rotate_id(&self) -> Result<()> {
        let handle = self.clone();
        blocking(move || handle.lock().rotate_id()).await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionHandle {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<SessionHandle>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "cgi-session: SessionHandle used on a route without SessionLayer\n",
        ))
    }
}
