//! The classic CGI::Session bgcolor page as an axum app, sharing its sessions with
//! the Perl CGI page `examples/perl/bgcolor.cgi` (and the Rust CGI page
//! `examples/bgcolor.rs`): `?bgcolor=red` (or a form posting `bgcolor=red`) paints
//! the page red for this visitor on every later hit, until another colour is given;
//! the page shows when the visitor was last here. `/login` gives the visitor's
//! session a new id, keeping the colour (id rotation, against session fixation).
//!
//! Same cookie (`CGISESSID`), same session parameters (`bgcolor`, `last_visit`) and
//! same store settings as the Perl page: `CGISESS_DSN` and `CGISESS_ARG_<Name>`.
//! `BGCOLOR_ADDR` is the address to listen on (default `127.0.0.1:8080`).
//!
//! ```text
//! CGISESS_ARG_Directory=/tmp/sessions cargo run --features axum --example axum_bgcolor
//! ```
//! `tests/web_axum.rs` serves [`app`] and walks a visitor between it and Perl.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use cgi_session::cgi::{CgiQuery, Query};
use cgi_session::web::axum::{SessionHandle, SessionLayer};
use cgi_session::Config;

#[path = "common/bgcolor.rs"]
mod bgcolor;

/// The page's engine name.
pub const ENGINE: &str = "Rust (axum)";

/// The app: the page at `/` (GET, and POST for its form) and `/login`.
pub fn app(config: Config) -> Router {
    Router::new()
        .route("/", get(page).post(page))
        .route("/login", get(login))
        .layer(SessionLayer::new(config))
}

type Answer = Result<Html<String>, (StatusCode, String)>;

/// `bgcolor` from the query string, else from a posted form.
fn requested_colour(query: Option<&str>, body: &[u8]) -> Option<String> {
    [query.unwrap_or_default().as_bytes(), body]
        .into_iter()
        .find_map(|part| {
            CgiQuery::from_parts(b"", part)
                .param_values("bgcolor")
                .into_iter()
                .next()
        })
        .map(|colour| colour.to_text().into_owned())
}

async fn page(session: SessionHandle, RawQuery(query): RawQuery, body: Bytes) -> Answer {
    let colour = requested_colour(query.as_deref(), &body);
    let html = bgcolor::visit(&mut session.lock(), colour.as_deref(), ENGINE, "");
    html.map(Html).map_err(failed)
}

async fn login(session: SessionHandle) -> Answer {
    session.rotate_id().await.map_err(failed)?;
    let notice = "You are logged in: your session has a new id, and kept your colour.";
    let html = bgcolor::visit(&mut session.lock(), None, ENGINE, notice);
    html.map(Html).map_err(failed)
}

fn failed(error: cgi_session::Error) -> (StatusCode, String) {
    eprintln!("axum_bgcolor: {error}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the session store failed\n".into(),
    )
}

#[tokio::main]
async fn main() {
    if let Err(e) = serve().await {
        eprintln!("axum_bgcolor: {e}");
        std::process::exit(1);
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let config = bgcolor::config_from_env()?;
    let addr = std::env::var("BGCOLOR_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("bgcolor on http://{}/", listener.local_addr()?);
    // The peer address becomes the session's _SESSION_REMOTE_ADDR, as $REMOTE_ADDR in Perl.
    let service = app(config).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).await?;
    Ok(())
}
