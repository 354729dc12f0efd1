//! Structured values: `t/session_param_undef.t` (RT#40405) and `t/complex_ds.t`.

use cgi_session::Value;

use crate::{Store, FILE_DSN};

/// `Item->new($name)`: `bless {name => $name}, 'Item'`.
fn item(name: &str) -> Value {
    Value::blessed("Item", Value::hash([("name", name)]))
}

/// `Container->new` after `add_item` of each item: `bless {items => [...]}, 'Container'`.
fn container(items: Vec<Value>) -> Value {
    Value::blessed("Container", Value::hash([("items", Value::from(items))]))
}

#[test]
fn session_param_undef_objects_survive_beside_an_undef_param() {
    // t/session_param_undef.t: serializer:default;id:static, sid 'testname'.
    let store = Store::new();
    let config = store
        .builder("serializer:default;id:static")
        .build()
        .unwrap();
    let item1 = item("test 123");
    let box_ = container(vec![item1.clone()]);
    assert!(
        box_["items"][0].same_ref(&item1),
        "the container holds the item itself"
    );
    {
        let mut s = config.new_session(Some("testname")).unwrap();
        assert_eq!(s.id().as_deref(), Some("testname"));
        s.set_param("container", box_.clone()).unwrap();
        // The line that broke RT#40405.
        s.set_param("somevar", Value::Undef).unwrap();
        s.flush().unwrap();
    }

    let s = config.load(Some("testname")).unwrap();
    let loaded = s.param("container").expect("container param");
    assert_eq!(
        loaded.class().map(|c| c.to_string()).as_deref(),
        Some("Container")
    );
    let item = &loaded["items"][0];
    assert_eq!(item.class().map(|c| c.to_string()).as_deref(), Some("Item"));
    assert_eq!(item["name"], Value::from("test 123"), "Item->get_name");
    assert_eq!(loaded, &box_, "the whole object graph is unchanged");
    assert_eq!(
        s.param("somevar"),
        Some(&Value::Undef),
        "the undef param is kept as undef"
    );
    let names: Vec<String> = s.param_names().map(|n| n.to_string()).collect();
    assert_eq!(names, ["container", "somevar"]);
}

#[test]
fn complex_ds_nested_structures_round_trip() {
    // t/complex_ds.t; qw(1 2 3 4 5 6) are strings in Perl.
    let store = Store::new();
    let config = store.builder(FILE_DSN).build().unwrap();
    let d1 = Value::array(["1", "2", "3", "4", "5", "6"]);
    let d2 = Value::hash([
        ("1", "Bir"),
        ("2", "Ikki"),
        ("3", "Uch"),
        ("4", "To'rt"),
        ("5", "Besh"),
        ("6", "Olti"),
    ]);
    let d3 = Value::hash([("d1", d1), ("d2", d2)]);

    let mut s = config.new_session(None).unwrap();
    s.set_param("d3", d3.clone()).unwrap();
    assert_eq!(s.param("d3").unwrap()["d1"][0], Value::from("1"));
    assert_eq!(s.param("d3").unwrap()["d2"]["1"], Value::from("Bir"));
    let sid = s.id().unwrap();
    s.flush().unwrap();

    let mut s1 = config.new_session(Some(&sid)).unwrap();
    assert_eq!(s1.id().as_deref(), Some(sid.as_str()));
    let got = s1.param("d3").expect("d3");
    assert_eq!(got["d1"][0], Value::from("1"), "Test 1");
    assert_eq!(got["d1"][1], Value::from("2"), "Test 2");
    assert_eq!(got["d2"]["1"], Value::from("Bir"));
    assert_eq!(
        got["d2"]["4"],
        Value::from("To'rt"),
        "a quote inside a value"
    );
    assert_eq!(got, &d3, "strings stay strings, nothing is lost");
    s1.delete();
}

#[test]
fn deeper_structures_and_shared_references_round_trip() {
    // Beyond complex_ds.t: undef elements, integers, a scalar ref, a character
    // string, and one hash referenced twice.
    let store = Store::new();
    let config = store.config();
    let shared = Value::hash([("k", "v")]);
    let value = Value::hash([
        (
            "list",
            Value::array([Value::Undef, Value::Int(-7), Value::from("0")]),
        ),
        (
            "nested",
            Value::array([Value::array([Value::hash([(
                "deep",
                Value::array([1, 2]),
            )])])]),
        ),
        ("ref", Value::scalar_ref("pointed at")),
        ("text", Value::from("Yigitlik sarguzashtlari — ҳикоялар")),
        ("twice", Value::array([shared.clone(), shared])),
    ]);
    let mut s = config.new_session(None).unwrap();
    s.set_param("value", value.clone()).unwrap();
    let sid = s.id().unwrap();
    s.flush().unwrap();

    let s = config.load(Some(&sid)).unwrap();
    let got = s.param("value").unwrap();
    assert_eq!(got, &value);
    assert!(
        got["twice"][0].same_ref(&got["twice"][1]),
        "still one hash, referenced twice"
    );
}

#[test]
fn a_float_reads_back_as_the_string_perl_reads() {
    // Data::Dumper quotes every number that is not an integer (`'0.5'`), so Perl
    // thaws it as a string; so does the facade.
    let store = Store::new();
    let config = store.config();
    let mut s = config.new_session(None).unwrap();
    s.set_param("ratio", 0.5).unwrap();
    let sid = s.id().unwrap();
    s.flush().unwrap();
    let s = config.load(Some(&sid)).unwrap();
    assert_eq!(s.param("ratio"), Some(&Value::from("0.5")));
    assert_eq!(
        s.param("ratio")
            .and_then(Value::to_number)
            .map(|n| n.as_f64()),
        Some(0.5)
    );
}
