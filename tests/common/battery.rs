//! Perl's `CGI::Session::Test::Default` (4.48), the battery every `t/g4*.t` runs
//! against one driver × serializer: 7 blocks, 101 numbered checks (spec §10).
//!
//! ```ignore
//! mod common;
//! common::battery::run_default_battery("driver:file;serializer:default", args);
//! ```
//!
//! The port keeps Perl's real one-second sleeps: block 2 needs `atime > ctime`,
//! and block 3 needs the session stored with `expire(1)` to be expired at the next
//! load (`ATIME + 1 <= now`, spec §3.5). Each check carries Perl's test number, so a
//! failure reads like the TAP line it stands for.
//!
//! Perl objects are built as Perl lays them out, so that what a driver and a
//! serializer must round-trip is exactly what Perl stores:
//! * `CGI::Session::Test::SimpleObjectClass` comes from Class::Struct's *list*
//!   form (`struct(name => '$', emails => '@', blogs => '%')`), which makes an
//!   **array-based** object with one slot per field in declaration order:
//!   `bless(['name', [emails...], {blogs...}], 'CGI::Session::Test::SimpleObjectClass')`.
//! * `OverloadedClass` (`""` and `eq` overloaded) is `bless({str_value => ...}, 'OverloadedClass')`;
//!   its string value is `str_value`, and Perl's `overload::Overloaded` holds as long as
//!   the object is still blessed into that class.

use std::fmt::Display;
use std::thread::sleep;
use std::time::Duration;

use cgi_session::cgi::CgiQuery;
use cgi_session::{Args, Config, Session, Value};

/// How many numbered checks `CGI::Session::Test::Default::run` makes.
pub const DEFAULT_BATTERY_CHECKS: u32 = 101;

const SIMPLE_CLASS: &str = "CGI::Session::Test::SimpleObjectClass";
const OVERLOADED_CLASS: &str = "OverloadedClass";
const AUTHOR: &str = "Sherzod Ruzmetov";
const EMAIL: &str = "sherzodr@cpan.org";
const BLOG: &str = "http://author.cpan.org/";
const BLOG_UZ: &str = "http://author.cpan.org/uz/";

/// Runs the battery on `dsn` with driver arguments `args`. Like Perl, which resolves
/// the DSN on every `new`/`load`, each constructor call builds its own [`Config`], so
/// the store must keep records between configs (file and every shared store do).
pub fn run_default_battery(dsn: &str, args: Args) {
    let make = || {
        Config::new(Some(dsn), args.clone())
            .unwrap_or_else(|e| panic!("Config::new({dsn:?}, {args:?}): {e}"))
    };
    run(&make);
}

/// Runs the battery with every constructor call going through `config`: for stores
/// that live inside one config (`driver:memory`) or configs with hand-made components.
pub fn run_default_battery_with(config: &Config) {
    run(&|| config.clone());
}

/// Counts Perl's numbered checks; a failed one panics with its number.
struct Checks {
    done: u32,
}

impl Checks {
    /// `ok($cond, $name)`.
    fn ok(&mut self, cond: bool, name: impl Display) {
        self.done += 1;
        assert!(cond, "Test::Default check {}: {name}", self.done);
    }

    /// `ok(1, "=== N ===")` and `use_ok`: numbered lines that cannot fail in Perl either.
    fn mark(&mut self) {
        self.done += 1;
    }

    /// `ok(my $x = CONSTRUCTOR, $name)`: the value, or a failure naming the check.
    fn value<T, E: Display>(&mut self, result: Result<T, E>, name: impl Display) -> T {
        self.done += 1;
        result.unwrap_or_else(|e| panic!("Test::Default check {}: {name}: {e}", self.done))
    }
}

fn run(make: &dyn Fn() -> Config) {
    let mut t = Checks { done: 0 };
    t.mark(); // use_ok("CGI::Session")

    let sid = block1_create(make, &mut t);
    sleep(Duration::from_secs(1));
    block2_reload_and_expire(make, &mut t, &sid);
    sleep(Duration::from_secs(1));
    let (sid, driver_config) = block3_expired_then_renewed(make, &mut t, &sid);
    let sid = block4_removed_id_is_not_recovered(make, &mut t, &sid, &driver_config);
    block5_recover_then_delete(make, &mut t, &sid);
    let sid = block6_store_objects(make, &mut t, &sid);
    block7_objects_survive(make, &mut t, &sid);

    assert_eq!(
        t.done, DEFAULT_BATTERY_CHECKS,
        "the port makes every numbered check of Test::Default"
    );
}

/// Block 1 (checks 1–21).
fn block1_create(make: &dyn Fn() -> Config, t: &mut Checks) -> String {
    t.mark();
    // CGI::Session->load(): no claimed id anywhere in the request.
    let session = t.value(
        make().load_request(&CgiQuery::default()),
        "empty session should be created",
    );
    t.ok(session.id().is_none(), "Id is empty");
    t.ok(session.is_empty(), "Session is empty");
    t.ok(!session.is_expired(), "Session is not expired");
    drop(session);

    let mut session = t.value(
        make().new_session(Some("_DOESN'T EXIST_")),
        "Session created successfully!",
    );
    let config = session.config().clone();
    t.ok(
        config.driver().name() == config.dsn().driver_name(),
        format_args!(
            "driver is {:?}, the DSN's {:?}",
            config.driver().name(),
            config.dsn().driver_name()
        ),
    );
    t.ok(
        session.ctime().is_some_and(|c| c != 0) && session.atime().is_some_and(|a| a != 0),
        "ctime & atime are set",
    );
    t.ok(session.atime() == session.ctime(), "ctime == atime");
    t.ok(!etime_is_set(&session), "etime not set yet");
    let sid = session.id().unwrap_or_default();
    t.ok(perl_true(&sid), format_args!("session id is {sid:?}"));

    set(&mut session, "author", AUTHOR);
    set(&mut session, "emails", Value::array([EMAIL, EMAIL]));
    set(
        &mut session,
        "blogs",
        Value::hash([("./lost+found", BLOG), ("Yigitlik sarguzashtlari", BLOG_UZ)]),
    );
    check_three_params(t, &session, "");

    session.flush().expect("flush() of the new session");
    sid
}

/// Checks 13–21 and 29–37: the three parameters of block 1.
fn check_three_params(t: &mut Checks, session: &Session, after: &str) {
    t.ok(
        session.param_names().count() == 3,
        format_args!("session holds 3 params{after}"),
    );
    t.ok(
        param(session, "author") == &Value::from(AUTHOR),
        format_args!("My name's correct{after}"),
    );
    let emails = param(session, "emails");
    t.ok(
        emails.ref_type() == Some("ARRAY") && emails.class().is_none(),
        "'emails' holds list of values",
    );
    t.ok(
        emails.as_array().map(<[Value]>::len) == Some(2),
        "'emails' holds list of two values",
    );
    t.ok(
        emails[0] == Value::from(EMAIL),
        "first value of 'emails' is correct",
    );
    t.ok(
        emails[1] == Value::from(EMAIL),
        "second value of 'emails' is correct",
    );
    let blogs = param(session, "blogs");
    t.ok(
        blogs.ref_type() == Some("HASH") && blogs.class().is_none(),
        "'blogs' holds a hash",
    );
    t.ok(
        blogs["./lost+found"] == Value::from(BLOG),
        "first blog is correct",
    );
    t.ok(
        blogs["Yigitlik sarguzashtlari"] == Value::from(BLOG_UZ),
        "second blog is correct",
    );
}

/// Block 2 (checks 22–44).
fn block2_reload_and_expire(make: &dyn Fn() -> Config, t: &mut Checks, sid: &str) {
    t.mark();
    let loaded = make().load(Some(sid));
    t.ok(
        loaded.is_ok(),
        format_args!("survived eval without error: {:?}", loaded.as_ref().err()),
    );
    let mut session = t.value(loaded, "Session was retrieved successfully");
    t.ok(!session.is_expired(), "session isn't expired yet");
    t.ok(
        session.id().as_deref() == Some(sid),
        "session IDs are consistent",
    );
    t.ok(
        session.atime() > session.ctime(),
        format_args!(
            "ctime should be older than atime ({:?} vs {:?})",
            session.ctime(),
            session.atime()
        ),
    );
    t.ok(!etime_is_set(&session), "etime shouldn't be set yet");
    check_three_params(t, &session, " after reload");

    // `expires` is an alias of `expire` in Perl; both set the idle timeout.
    for (interval, seconds, what) in [
        ("+1s", 1.0, "etime set to 1 second"),
        ("+1m", 60.0, "etime set to one minute"),
        ("2h", 7200.0, "etime set to two hours"),
        ("5d", 432_000.0, "etime set to 5 days"),
        ("-10s", -10.0, "etime set to 10 seconds in the past"),
        ("1s", 1.0, "etime set back to one second"),
    ] {
        session
            .expire(interval)
            .unwrap_or_else(|e| panic!("expire({interval:?}): {e}"));
        t.ok(
            etime_seconds(&session) == Some(seconds),
            format_args!("{what}: {:?}", session.etime()),
        );
    }
    // close(): the flush that stores ETIME = 1 with the refreshed ATIME.
    let closed = session.flush();
    t.ok(
        closed.is_ok(),
        format_args!("calling close method survives eval: {closed:?}"),
    );
}

/// Block 3 (checks 45–56). Returns the new id and the config whose driver block 4 uses.
fn block3_expired_then_renewed(
    make: &dyn Fn() -> Config,
    t: &mut Checks,
    old_sid: &str,
) -> (String, Config) {
    t.mark();
    let mut session = t.value(make().load(Some(old_sid)), "Session instance loaded");
    t.ok(session.id().is_none(), "session doesn't have ID");
    t.ok(
        session.is_empty(),
        "session is empty, which is the same as above",
    );
    t.ok(session.is_expired(), "session was expired");
    t.ok(
        !session.param("author").is_some_and(Value::is_true),
        "session data cleared",
    );

    sleep(Duration::from_secs(1));

    // Perl: $session = $session->new()
    let renewed = session.renew();
    t.value(renewed, "new session created");
    let sid = session.id().unwrap_or_default();
    t.ok(perl_true(&sid), format_args!("session has id: {sid:?}"));
    t.ok(!session.is_expired(), "session isn't expired");
    t.ok(!session.is_empty(), "session isn't empty");
    t.ok(
        session.atime() == session.ctime(),
        "access and creation times are same",
    );
    t.ok(
        sid != old_sid,
        "it's a completely different session than above",
    );
    // The session leaves scope here: Perl's DESTROY (our drop) stores it.
    (sid, session.config().clone())
}

/// Block 4 (checks 57–60).
fn block4_removed_id_is_not_recovered(
    make: &dyn Fn() -> Config,
    t: &mut Checks,
    sid: &str,
    driver_config: &Config,
) -> String {
    t.mark();
    let removed = driver_config.driver().remove(sid);
    t.ok(
        removed.is_ok(),
        format_args!("Session '{sid}' removed from datastore successfully: {removed:?}"),
    );
    let session = t.value(
        make().new_session(Some(sid)),
        "session object created successfully",
    );
    let new_sid = session.id().unwrap_or_default();
    t.ok(
        new_sid != sid,
        format_args!("claimed ID ({sid}) couldn't be recovered. New ID is: {new_sid}"),
    );
    new_sid
}

/// Block 5 (checks 61–63).
fn block5_recover_then_delete(make: &dyn Fn() -> Config, t: &mut Checks, sid: &str) {
    t.mark();
    let mut session = t.value(
        make().new_session(Some(sid)),
        "Session object created successfully",
    );
    t.ok(
        session.id().as_deref() == Some(sid),
        format_args!("claimed id ({sid}) was recovered successfully!"),
    );
    // Removed from the store when the session leaves scope.
    session.delete();
}

/// Block 6 (checks 64–81).
fn block6_store_objects(make: &dyn Fn() -> Config, t: &mut Checks, deleted_sid: &str) -> String {
    t.mark();
    let mut session = t.value(
        make().new_session(Some(deleted_sid)),
        "Session object created successfully",
    );
    let sid = session.id().unwrap_or_default();
    t.ok(
        sid != deleted_sid,
        "New object created, because previous object was deleted",
    );

    let simple = simple_object();
    t.ok(
        simple.class().is_some_and(|c| *c == SIMPLE_CLASS),
        "SimpleObjectClass created successfully",
    );
    set(&mut session, "simple_object", simple);
    check_simple_object(t, param(&session, "simple_object"), false);

    let overloaded = overloaded_object("ABCDEFG");
    t.ok(
        overloaded_str(&overloaded).is_some(),
        "OverloadedClass created successfully",
    );
    t.ok(
        is_overloaded(&overloaded),
        "OverloadedClass is properly overloaded",
    );
    t.ok(
        overloaded.class().is_some_and(|c| *c == OVERLOADED_CLASS),
        "OverloadedClass is an object",
    );
    set(&mut session, "overloaded_object", overloaded);
    t.ok(
        overloaded_str(param(&session, "overloaded_object")) == Some("ABCDEFG"),
        "eq \"ABCDEFG\"",
    );

    let simple2 = simple_object();
    t.ok(
        simple2.class().is_some_and(|c| *c == SIMPLE_CLASS),
        "SimpleObjectClass created successfully",
    );
    let embedded = overloaded_object("Embedded");
    set(
        &mut session,
        "embedded_simple_and_overloaded",
        Value::array([Value::Undef, simple2, embedded.clone(), embedded]),
    );
    let list = param(&session, "embedded_simple_and_overloaded");
    t.ok(list[0].is_undef(), "First element of anonymous array undef");
    check_simple_object(t, &list[1], false);
    t.ok(
        overloaded_str(&list[2]) == Some("Embedded"),
        "[2] eq \"Embedded\"",
    );
    t.ok(
        list[2].same_ref(&list[3]),
        "Overloaded objects have matching addresses",
    );
    // Stored when the session leaves scope.
    sid
}

/// Block 7 (checks 82–101).
fn block7_objects_survive(make: &dyn Fn() -> Config, t: &mut Checks, sid: &str) {
    t.mark();
    let mut session = t.value(
        make().new_session(Some(sid)),
        "Session object created successfully",
    );
    t.ok(
        session.id().as_deref() == Some(sid),
        "Previously stored object loaded successfully",
    );

    let simple = param(&session, "simple_object");
    t.ok(
        simple.class().is_some_and(|c| *c == SIMPLE_CLASS),
        format_args!("SimpleObjectClass loaded: {simple:?}"),
    );
    check_simple_object(t, simple, true);

    let overloaded = param(&session, "overloaded_object");
    t.ok(overloaded.is_ref(), "overloaded_object is a reference");
    t.ok(
        overloaded_str(overloaded) == Some("ABCDEFG"),
        format_args!("Object is still overloaded: {overloaded:?}"),
    );
    t.ok(is_overloaded(overloaded), "Object is really overloaded");

    let list = param(&session, "embedded_simple_and_overloaded");
    t.ok(list[0].is_undef(), "First element of anonymous array undef");
    t.ok(
        list[1].class().is_some_and(|c| *c == SIMPLE_CLASS),
        "SimpleObjectClass loaded successfully",
    );
    check_simple_object(t, &list[1], true);
    t.ok(
        overloaded_str(&list[2]) == Some("Embedded"),
        format_args!("[2] eq \"Embedded\": {:?}", list[2]),
    );
    t.ok(is_overloaded(&list[2]), "Object is really overloaded");
    t.ok(
        list[2].same_ref(&list[3]),
        "Overloaded objects have matching addresses (one object, referenced twice, after reload)",
    );
    session.delete();
}

/// The accessor checks on a SimpleObjectClass: `name`, `emails(1)`, then `blogs('yigitlik')`
/// in block 6 (3 checks); `name`, `emails(1)`, `emails(0)`, `blogs('lost+found')` after
/// reload in block 7 (4 `ok_later` checks).
fn check_simple_object(t: &mut Checks, object: &Value, reloaded: bool) {
    let is_struct = object.class().is_some_and(|c| *c == SIMPLE_CLASS)
        && object.unblessed().as_array().is_some();
    let name = &object[0];
    let emails = &object[1];
    let blogs = &object[2];
    t.ok(
        is_struct && *name == Value::from(AUTHOR),
        format_args!("->name: {object:?}"),
    );
    t.ok(is_struct && emails[1] == Value::from(EMAIL), "->emails(1)");
    if reloaded {
        t.ok(is_struct && emails[0] == Value::from(EMAIL), "->emails(0)");
        t.ok(
            is_struct && blogs["lost+found"] == Value::from(BLOG),
            "->blogs('lost+found')",
        );
    } else {
        t.ok(
            is_struct && blogs["yigitlik"] == Value::from(BLOG_UZ),
            "->blogs('yigitlik')",
        );
    }
}

/// `CGI::Session::Test::SimpleObjectClass->new` with the battery's field values, laid
/// out as Class::Struct's list form lays it out (see the module docs).
fn simple_object() -> Value {
    Value::blessed(
        SIMPLE_CLASS,
        Value::array([
            Value::from(AUTHOR),
            Value::array([EMAIL, EMAIL]),
            Value::hash([("lost+found", BLOG), ("yigitlik", BLOG_UZ)]),
        ]),
    )
}

/// `OverloadedClass->new($text)`.
fn overloaded_object(text: &str) -> Value {
    Value::blessed(OVERLOADED_CLASS, Value::hash([("str_value", text)]))
}

/// What `"$object"` gives for an OverloadedClass object (its `as_string`); `None` when
/// the value is not one, i.e. Perl would print `HASH(0x...)` or the like instead.
fn overloaded_str(object: &Value) -> Option<&str> {
    if !is_overloaded(object) {
        return None;
    }
    object.get("str_value")?.as_str()
}

/// `overload::Overloaded($object)`: still blessed into the class that overloads.
fn is_overloaded(object: &Value) -> bool {
    object.class().is_some_and(|c| *c == OVERLOADED_CLASS)
}

fn param<'a>(session: &'a Session, name: &str) -> &'a Value {
    static UNDEF: Value = Value::Undef;
    session.param(name).unwrap_or(&UNDEF)
}

fn set(session: &mut Session, name: &str, value: impl Into<Value>) {
    session
        .set_param(name, value)
        .unwrap_or_else(|e| panic!("param({name:?}, ...): {e}"));
}

/// Perl's `$session->etime` is true.
fn etime_is_set(session: &Session) -> bool {
    session.etime().is_some_and(Value::is_true)
}

/// `$session->etime` numified, as Perl's `==` compares it.
fn etime_seconds(session: &Session) -> Option<f64> {
    session.etime()?.to_number().map(|n| n.as_f64())
}

fn perl_true(s: &str) -> bool {
    !(s.is_empty() || s == "0")
}
