//! The axum app of `examples/axum_bgcolor.rs` (`SessionLayer`, `SessionHandle`) served
//! in this process on 127.0.0.1, one visitor with a cookie jar sharing a session with
//! Perl CGI::Session 4.48 through the same store: set in Perl, read and changed
//! through the app, seen by Perl; ATIME refreshed by the app's load as Perl's load
//! would; `Set-Cookie` exactly `Session::cookie`; id rotation at `/login`. On the
//! file store and on an SQLite store.
#![cfg(feature = "axum")]

mod common;

// The example's router is served here; its `main` is not called (dead in this binary).
#[allow(dead_code)]
#[path = "../examples/axum_bgcolor.rs"]
mod example;

use std::net::SocketAddr;

use cgi_session::{Config, LoadOptions, Value};
use common::browser::Browser;
use common::{from_typed, Oracle};
use serde_json::{json, Value as Json};

/// How far ahead of the real clock the app's clock runs, so that its ATIME refresh
/// is visible without waiting.
const AHEAD: i64 = 1000;

/// The app on a port of its own, until dropped.
struct App {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

fn serve(config: Config) -> App {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    let service = example::app(config).into_make_service_with_connect_info::<SocketAddr>();
    runtime.spawn(async move { axum::serve(listener, service).await });
    App {
        port,
        _runtime: runtime,
    }
}

/// The real clock in epoch seconds.
fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// A store both sides open: the DSN, the Rust args, and Perl's args.
struct Store {
    dsn: &'static str,
    args: Json,
    _dir: tempfile::TempDir,
}

impl Store {
    fn file() -> Store {
        let dir = tempfile::tempdir().expect("temp dir");
        Store {
            dsn: "driver:file;serializer:default",
            args: json!({ "Directory": dir.path() }),
            _dir: dir,
        }
    }

    fn sqlite() -> Store {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = format!(
            "dbi:SQLite:dbname={}",
            dir.path().join("sessions.db").display()
        );
        let store = Store {
            dsn: "driver:sqlite;serializer:default",
            args: json!({ "DataSource": source }),
            _dir: dir,
        };
        let dsn = cgi_session::Dsn::parse(store.dsn).expect("DSN");
        cgi_session::init::create_session_table(&dsn, &store.rust_args(), false)
            .expect("create the sessions table");
        store
    }

    fn rust_args(&self) -> cgi_session::Args {
        common::json_args(&self.args)
    }

    /// The app's config: the same store, its clock `AHEAD` seconds ahead.
    fn app_config(&self) -> Config {
        Config::builder(Some(self.dsn))
            .args(self.rust_args())
            .clock(|| real_now() + AHEAD)
            .build()
            .expect("config")
    }

    /// What Perl's read-only load finds under `id`: its data, or `None` when empty.
    fn perl_sees(&self, oracle: &Oracle, id: &str) -> Option<Value> {
        let loaded = oracle
            .load(self.dsn, &self.args, id, true)
            .expect("Perl load");
        (!loaded.is_empty).then(|| from_typed(&loaded.data))
    }
}

/// `Session::cookie` of the stored session `id`, read as the app's config reads it.
fn cookie_of(config: &Config, id: &str) -> String {
    let session = config
        .load_with(&LoadOptions {
            read_only: true,
            ..LoadOptions::claim(id)
        })
        .expect("load");
    session.cookie().expect("a session with an id has a cookie")
}

fn is_md5_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn text(value: Option<&Value>) -> String {
    value
        .and_then(Value::to_perl_string)
        .map(|s| s.to_text().into_owned())
        .unwrap_or_default()
}

fn number(value: Option<&Value>) -> i64 {
    value.and_then(Value::to_number).map_or(0, |n| n.as_i64())
}

fn one_visitor_between_perl_and_the_app(store: &Store) {
    let Some(oracle) = Oracle::get() else { return };
    let config = store.app_config();
    let app = serve(config.clone());

    // Perl creates the session: a colour, and a token that expires on its own.
    let perl = oracle
        .new_session(
            store.dsn,
            &store.args,
            None,
            &json!({
                "params": { "bgcolor": { "str": "red" }, "token": { "str": "t0k" } },
                "expire_params": { "token": "+1h" }
            }),
        )
        .expect("Perl new");
    let created = from_typed(&perl.data);
    let ctime = number(created.get("_SESSION_CTIME"));

    // The app reads it through the cookie Perl's page would have set.
    let mut browser = Browser::default();
    browser.jar.insert("CGISESSID".into(), perl.id.clone());
    let page = browser.get(app.port, "/");
    assert!(page.is_ok(), "{} {}", page.status, page.body);
    assert_eq!(
        page.field("colour"),
        "red",
        "the app reads the colour Perl stored"
    );
    assert_eq!(page.field("engine"), example::ENGINE);
    assert!(
        page.set_cookies.is_empty(),
        "a loaded session keeps its cookie: {:?}",
        page.set_cookies
    );
    let seen = store
        .perl_sees(&oracle, &perl.id)
        .expect("Perl finds the session");
    let atime = number(seen.get("_SESSION_ATIME"));
    assert!(
        atime >= real_now() + AHEAD - 5,
        "the app's load refreshed ATIME: {atime}"
    );
    assert_eq!(number(seen.get("_SESSION_CTIME")), ctime, "CTIME unchanged");
    assert_eq!(
        number(seen.get("last_visit")),
        atime,
        "the page's own time stamp"
    );

    // Changed through the app, seen by Perl.
    let page = browser.get(app.port, "/?bgcolor=blue");
    assert_eq!(page.field("colour"), "blue");
    let seen = store
        .perl_sees(&oracle, &perl.id)
        .expect("Perl finds the session");
    assert_eq!(
        text(seen.get("bgcolor")),
        "blue",
        "Perl reads the colour the app stored"
    );
    let posted = browser.post(app.port, "/", "bgcolor=green");
    assert_eq!(posted.field("colour"), "green", "a posted form too");
    let refused = browser.get(app.port, "/?bgcolor=%3Cscript%3E");
    assert_eq!(refused.field("colour"), "green");
    assert!(refused.field("notice").starts_with("That is not a colour"));

    // Login rotates the id: same data under a new id, the old one gone, a new cookie.
    let login = browser.get(app.port, "/login");
    assert!(login.is_ok(), "{} {}", login.status, login.body);
    assert_eq!(
        login.field("colour"),
        "green",
        "the colour survives the rotation"
    );
    let new_id = browser.jar["CGISESSID"].clone();
    assert_ne!(new_id, perl.id, "a new id");
    assert!(is_md5_id(&new_id), "an md5 id: {new_id}");
    assert_eq!(
        login.set_cookies,
        [cookie_of(&config, &new_id)],
        "Set-Cookie is Session::cookie"
    );
    assert_eq!(login.set_cookies[0], format!("CGISESSID={new_id}; path=/"));
    assert_eq!(
        store.perl_sees(&oracle, &perl.id),
        None,
        "Perl finds nothing under the old id"
    );
    assert!(
        config.peek(&perl.id).expect("peek").is_none(),
        "the old record is gone"
    );
    let rotated = store
        .perl_sees(&oracle, &new_id)
        .expect("Perl finds the new id");
    assert_eq!(text(rotated.get("_SESSION_ID")), new_id);
    assert_eq!(text(rotated.get("bgcolor")), "green");
    assert_eq!(text(rotated.get("token")), "t0k");
    assert_eq!(number(rotated.get("_SESSION_CTIME")), ctime, "CTIME kept");
    assert_eq!(
        number(
            rotated
                .get("_SESSION_EXPIRE_LIST")
                .and_then(|l| l.get("token"))
        ),
        3600,
        "the per-parameter expiry kept"
    );
    assert_eq!(
        browser.get(app.port, "/").field("colour"),
        "green",
        "the browser follows"
    );

    // A visitor without a cookie gets a new session, and CGI.pm's cookie for it.
    let mut stranger = Browser::default();
    let first = stranger.get(app.port, "/");
    assert_eq!(first.field("colour"), "white");
    assert_eq!(first.field("last-visit"), "never: this is your first visit");
    let id = stranger.jar["CGISESSID"].clone();
    assert!(is_md5_id(&id), "{id}");
    assert_eq!(first.set_cookies, [cookie_of(&config, &id)]);
    assert!(
        store.perl_sees(&oracle, &id).is_some(),
        "Perl finds the app's new session"
    );

    // The id in the query string, as Perl accepts it when there is no cookie.
    let mut linked = Browser::default();
    let page = linked.get(app.port, &format!("/?CGISESSID={new_id}"));
    assert_eq!(page.field("colour"), "green");
    assert!(page.set_cookies.is_empty(), "{:?}", page.set_cookies);
}

#[test]
fn the_axum_app_shares_a_file_store_with_perl() {
    one_visitor_between_perl_and_the_app(&Store::file());
}

#[test]
fn the_axum_app_shares_an_sqlite_store_with_perl() {
    one_visitor_between_perl_and_the_app(&Store::sqlite());
}

#[test]
fn an_expiring_session_gets_its_cookie_on_every_hit() {
    let Some(oracle) = Oracle::get() else { return };
    let store = Store::file();
    let config = store.app_config();
    let app = serve(config.clone());
    let perl = oracle
        .new_session(store.dsn, &store.args, None, &json!({ "expire": "+1h" }))
        .expect("Perl new");
    let mut browser = Browser::default();
    browser.jar.insert("CGISESSID".into(), perl.id.clone());
    for _ in 0..2 {
        let before = cookie_of(&config, &perl.id);
        let page = browser.get(app.port, "/");
        let after = cookie_of(&config, &perl.id);
        assert_eq!(page.set_cookies.len(), 1, "{:?}", page.set_cookies);
        let sent = &page.set_cookies[0];
        assert!(
            *sent == before || *sent == after,
            "{sent} is Session::cookie ({after})"
        );
        assert!(sent.contains("; expires="), "{sent}");
    }
}

#[test]
fn a_store_that_fails_gives_a_500_and_no_cookie() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("sessions");
    let config = Config::new(
        None,
        cgi_session::Args::from([("Directory".to_string(), store.display().to_string())]),
    )
    .expect("config");
    // The store's directory becomes a file: nothing can be written there any more.
    std::fs::remove_dir(&store).expect("remove the store");
    std::fs::write(&store, b"").expect("write a file in its place");
    let app = serve(config);
    let mut browser = Browser::default();
    let page = browser.get(app.port, "/?bgcolor=red");
    assert!(
        page.status.ends_with(" 500 Internal Server Error"),
        "{}",
        page.status
    );
    assert!(page.set_cookies.is_empty(), "{:?}", page.set_cookies);
    assert!(
        page.body.contains("the session store failed"),
        "{}",
        page.body
    );
}
