//! Perl's `t/g4_sqlite*.t`, `t/g4_postgresql*.t` and `t/g4_mysql*.t`: Test::Default on
//! every SQL driver × serializer, in tables made by `init`, and on the schema Perl's
//! own tests create.

use crate::common::battery::run_default_battery;
use crate::common::PERL_SERIALIZERS;
use crate::store::{Kind, Store};

/// The battery on `kind` with every serializer, each in its own table, side by side
/// (each run sleeps three seconds, as Perl's does).
fn battery_on(kind: Kind) {
    std::thread::scope(|scope| {
        for serializer in PERL_SERIALIZERS {
            scope.spawn(move || {
                let Some(mut store) = Store::new(kind, &format!("g4_{serializer}")) else {
                    return;
                };
                store.create_for(serializer);
                run_default_battery(&store.dsn(serializer), store.args());
                // Every session the battery made is gone again: expired at load (block
                // 3), removed by the driver (block 4) or deleted (blocks 5 and 7).
                assert_eq!(store.rows(), 0, "{kind:?} {serializer}: rows left behind");
            });
        }
    });
}

#[test]
fn g4_battery_on_sqlite_with_every_serializer() {
    battery_on(Kind::Sqlite);
}

#[test]
fn g4_battery_on_postgresql_with_every_serializer() {
    battery_on(Kind::Postgresql);
}

#[test]
fn g4_battery_on_mysql_with_every_serializer() {
    battery_on(Kind::Mysql);
}

#[test]
fn g4_battery_on_the_tables_perls_tests_create() {
    // t/g4_sqlite.t, t/g4_postgresql.t and t/g4_mysql.t: `a_session TEXT NULL`, the
    // default serializer, and Perl's DSN spellings (`driver:SQLite` is lower-cased).
    std::thread::scope(|scope| {
        for (kind, dsn) in [
            (Kind::Sqlite, "driver:SQLite"),
            (Kind::Postgresql, "dr:postgresql"),
            (Kind::Mysql, "dr:mysql"),
        ] {
            scope.spawn(move || {
                let Some(mut store) = Store::new(kind, "g4_perl_schema") else {
                    return;
                };
                store.create_as_perl_tests_do();
                run_default_battery(dsn, store.args());
            });
        }
    });
}
