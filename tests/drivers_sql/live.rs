//! Perl 4.48 and Rust through the same table, both ways: Perl writes and Rust reads,
//! Rust writes and Perl reads, with Latin-1 and UTF-8 byte strings and wide characters,
//! so that DBD::Pg's TEXT encoding (spec §5.6), DBD::SQLite's BLOB binding (§5.7) and
//! DBD::mysql's raw bytes (§5.5) are all checked against the real Perl drivers.

use cgi_session::Config;
use serde_json::{json, Map, Value as Json};

use crate::common::typed::first_difference;
use crate::common::PERL_SERIALIZERS;
use crate::common::{from_typed, to_typed, Oracle};
use crate::store::{Kind, Store};

/// Session parameters, typed: ASCII, Latin-1 bytes, UTF-8 bytes, and (where the
/// serializer keeps them in Perl, spec §7.6) a wide character.
fn params(serializer: &str) -> Json {
    let mut params = json!({
        "user": {"str": "alice"},
        "count": {"int": -42},
        "list": {"array": [{"str": "a"}, {"hash": {"k": {"str": "v"}}}]},
        "latin1": {"str": "caf\u{e9}"},
        "utf8_bytes": {"str": "caf\u{c3}\u{a9}"},
    });
    if matches!(serializer, "default" | "storable") {
        params["wide"] = json!({"utf8": "smile \u{263a}"});
    }
    params
}

/// The non-reserved keys of a typed data hash.
fn params_of(data: &Json) -> Json {
    let hash = data["hash"].as_object().expect("a typed hash");
    Json::Object(
        hash.iter()
            .filter(|(k, _)| !k.starts_with("_SESSION_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<_, _>>(),
    )
}

fn assert_same(what: &str, got: &Json, want: &Json) {
    if let Some(diff) = first_difference(got, want) {
        panic!("{what}: differ at {diff}\n got: {got}\nwant: {want}");
    }
}

/// Character strings (and hash keys) whose characters are all below 256 as byte
/// strings: what Perl gets back from a PostgreSQL TEXT column is flagged UTF-8 (DBD::Pg
/// decodes it), but it holds the same code points.
fn without_utf8_flag(typed: &Json) -> Json {
    match typed {
        Json::Object(map) => {
            if let Some(Json::String(s)) = map.get("utf8") {
                if map.len() == 1 && s.chars().all(|c| u32::from(c) < 256) {
                    return json!({ "str": s });
                }
            }
            // Hash keys too: `utf8_keys` lists flagged keys whose characters are all < 256.
            Json::Object(
                map.iter()
                    .filter(|(k, _)| *k != "utf8_keys")
                    .map(|(k, v)| (k.clone(), without_utf8_flag(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(without_utf8_flag).collect()),
        other => other.clone(),
    }
}

/// Perl writes a session and Rust writes one with the same parameters; then each side
/// reads both. Each side must read the other's record exactly as it reads its own, and
/// both must agree on what the record holds.
fn both_ways(oracle: &Oracle, kind: Kind, serializer: &str) {
    let Some(mut store) = Store::new(kind, &format!("live_{serializer}")) else {
        return;
    };
    store.create_for(serializer);
    let (dsn, args, args_json) = (store.dsn(serializer), store.args(), store.args_json());
    let want = params(serializer);
    let what = format!("{kind:?} {serializer}");

    let perl = oracle
        .new_session(&dsn, &args_json, None, &json!({ "params": want }))
        .unwrap_or_else(|e| panic!("{what}: Perl new: {e}"));

    let config = Config::new(Some(&dsn), args).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut session = config.new_session(None).unwrap();
    for (name, value) in want.as_object().unwrap() {
        session.set_param(name.as_str(), from_typed(value)).unwrap();
    }
    session
        .flush()
        .unwrap_or_else(|e| panic!("{what}: Rust flush: {e}"));
    let rust_id = session.id().unwrap();

    let rust_reads = |id: &str| {
        let data = config
            .peek(id)
            .unwrap_or_else(|e| panic!("{what}: Rust reads {id}: {e}"));
        params_of(&to_typed(
            &data.unwrap_or_else(|| panic!("{what}: Rust finds no {id}")),
        ))
    };
    let perl_reads = |id: &str| {
        let loaded = oracle
            .load(&dsn, &args_json, id, true)
            .unwrap_or_else(|e| panic!("{what}: Perl load {id}: {e}"));
        assert!(!loaded.is_empty, "{what}: Perl finds no {id}");
        params_of(&loaded.data)
    };
    let (rust_of_perl, rust_of_rust) = (rust_reads(&perl.id), rust_reads(&rust_id));
    let (perl_of_perl, perl_of_rust) = (perl_reads(&perl.id), perl_reads(&rust_id));
    assert_same(
        &format!("{what}: Rust reads Perl's record as its own"),
        &rust_of_perl,
        &rust_of_rust,
    );
    assert_same(
        &format!("{what}: Perl reads Rust's record as its own"),
        &perl_of_rust,
        &perl_of_perl,
    );
    if matches!(serializer, "default" | "storable") {
        assert_same(&format!("{what}: the data survives"), &rust_of_perl, &want);
    }
    let pg_text = kind == Kind::Postgresql && serializer != "storable";
    // Perl's yaml on a PostgreSQL TEXT column reads back the UTF-8 encoding of what it
    // wrote (YAML::Syck sees DBD::Pg's decoded string as bytes); Rust reads the bytes.
    if !(pg_text && serializer == "yaml") {
        assert_same(
            &format!("{what}: Perl and Rust read the same data"),
            &without_utf8_flag(&perl_of_perl),
            &rust_of_perl,
        );
    }
    if pg_text {
        assert_pg_text_holds_latin1_characters(&store, &[&perl.id, &rust_id]);
    }
}

/// spec §5.6: the TEXT column holds byte 0xE9 as the character U+00E9, for Perl's rows
/// and Rust's alike.
fn assert_pg_text_holds_latin1_characters(store: &Store, ids: &[&str]) {
    let mut client =
        postgres::Client::connect(&crate::common::services::pg_conninfo(), postgres::NoTls)
            .unwrap();
    for id in ids {
        let sql = format!("SELECT a_session FROM {} WHERE id = $1", store.table);
        let text: String = client.query_one(&sql, &[id]).unwrap().get(0);
        assert!(text.contains("caf\u{e9}"), "{id}: {text}");
        assert!(text.contains("caf\u{c3}\u{a9}"), "{id}: {text}");
    }
}

fn live_on(kind: Kind) {
    let Some(oracle) = Oracle::get() else { return };
    for serializer in PERL_SERIALIZERS {
        both_ways(&oracle, kind, serializer);
    }
}

#[test]
fn perl_and_rust_share_sqlite_rows_both_ways() {
    live_on(Kind::Sqlite);
}

#[test]
fn perl_and_rust_share_postgresql_rows_both_ways() {
    live_on(Kind::Postgresql);
}

#[test]
fn perl_and_rust_share_mysql_rows_both_ways() {
    live_on(Kind::Mysql);
}

#[test]
fn sqlite_rows_are_blobs_whoever_writes_them() {
    // spec §5.7: Perl binds the record as SQL_BLOB, so even a TEXT column holds BLOBs;
    // Rust binds the same way, and reads rows stored as TEXT too.
    let Some(oracle) = Oracle::get() else { return };
    let Some(mut store) = Store::new(Kind::Sqlite, "blobs") else {
        return;
    };
    store.create_for("default");
    let dsn = store.dsn("default");
    let perl = oracle
        .new_session(
            &dsn,
            &store.args_json(),
            None,
            &json!({"params": {"a": {"str": "b"}}}),
        )
        .unwrap();
    let config = Config::new(Some(&dsn), store.args()).unwrap();
    let mut session = config.new_session(None).unwrap();
    session.set_param("a", "b").unwrap();
    session.flush().unwrap();
    let rust_id = session.id().unwrap();
    let conn = rusqlite::Connection::open(store.sqlite_path().unwrap()).unwrap();
    let sql = format!("SELECT typeof(a_session) FROM {} WHERE id = ?", store.table);
    for id in [&perl.id, &rust_id] {
        let kind: String = conn.query_row(&sql, [id], |r| r.get(0)).unwrap();
        assert_eq!(kind, "blob", "{id}");
    }
    let update = format!(
        "UPDATE {} SET a_session = CAST(a_session AS TEXT)",
        store.table
    );
    conn.execute(&update, []).unwrap();
    let data = config.peek(&perl.id).unwrap().expect("a TEXT row reads");
    assert_eq!(data["a"], cgi_session::Value::from("b"));
}

#[test]
fn find_purges_perls_expired_sessions_through_one_connection() {
    // find() loads every visited session through the driver that is traversing, so
    // the walk must not hold the connection across the callback (dbi module docs).
    let Some(oracle) = Oracle::get() else { return };
    for kind in [Kind::Sqlite, Kind::Postgresql, Kind::Mysql] {
        let Some(mut store) = Store::new(kind, "find") else {
            continue;
        };
        store.create_for("default");
        let dsn = store.dsn("default");
        let spec = |expire: i64| json!({"params": {"a": {"str": "b"}}, "expire": expire});
        let mut kept = Vec::new();
        for _ in 0..3 {
            kept.push(
                oracle
                    .new_session(&dsn, &store.args_json(), None, &spec(3600))
                    .unwrap()
                    .id,
            );
        }
        let gone = oracle
            .new_session(&dsn, &store.args_json(), None, &spec(1))
            .unwrap()
            .id;
        std::thread::sleep(std::time::Duration::from_secs(2));

        let config = Config::new(Some(&dsn), store.args()).unwrap();
        let mut live = Vec::new();
        let summary = config
            .find(|session| {
                if !session.is_empty() {
                    live.push(session.id().unwrap());
                }
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!((summary.visited, summary.expired), (4, 1), "{kind:?}");
        live.sort();
        kept.sort();
        assert_eq!(live, kept, "{kind:?}");
        assert_eq!(
            store.rows(),
            3,
            "{kind:?}: the expired session {gone} was removed"
        );
        assert!(
            oracle
                .load(&dsn, &store.args_json(), &gone, true)
                .unwrap()
                .is_empty
        );
    }
}
