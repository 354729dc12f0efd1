//! Perl and Rust processes writing the same ids of one SQL table at once (issue 4): no
//! session lost, no torn record. See tests/common/hammer.rs for what each writer does.

use crate::common::hammer::{run_mixed, Plan};
use crate::common::Oracle;
use crate::store::{Kind, Store};

fn plan(store: &Store, serializer: &str) -> Plan {
    Plan {
        dsn: format!(
            "driver:{};serializer:{serializer};id:static",
            store.kind.driver()
        ),
        args: store.args_json(),
        ids: (1..=4).map(|n| format!("shared{n}")).collect(),
        count: 15,
    }
}

/// Two Perl and two Rust writers creating and updating the same four ids.
///
/// On SQLite, Perl's own store is a SELECT and then an INSERT outside any transaction
/// (spec §5.7), so a Perl writer that creates an id another writer (Perl or Rust) has
/// just created fails on the primary key. There, Rust writers alone race to create the
/// ids first, and the mixed writers then update them.
fn hammer(kind: Kind) {
    let Some(oracle) = Oracle::get() else { return };
    for serializer in ["default", "storable"] {
        let Some(mut store) = Store::new(kind, &format!("hammer_{serializer}")) else {
            return;
        };
        store.create_for(serializer);
        let plan = plan(&store, serializer);
        if kind == Kind::Sqlite {
            run_mixed(&oracle, &plan, "hammer_child", 0, 3)
                .unwrap_or_else(|e| panic!("{kind:?} {serializer}, Rust creating:\n{e}"));
        }
        run_mixed(&oracle, &plan, "hammer_child", 2, 2)
            .unwrap_or_else(|e| panic!("{kind:?} {serializer}:\n{e}"));
    }
}

#[test]
fn perl_and_rust_writers_share_sqlite_sessions() {
    hammer(Kind::Sqlite);
}

#[test]
fn perl_and_rust_writers_share_postgresql_sessions() {
    hammer(Kind::Postgresql);
}

#[test]
fn perl_and_rust_writers_share_mysql_sessions() {
    hammer(Kind::Mysql);
}
