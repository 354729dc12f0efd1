//! A CGI program that counts a visitor's page views in a session shared with Perl.
//!
//! Run it under any CGI-capable web server, or from a shell:
//! `REQUEST_METHOD=GET HTTP_COOKIE="CGISESSID=<id>" cargo run --example counter`.
//! The store is Perl's default (file driver, Data::Dumper, md5 ids) in
//! `$CGISESS_DIR` (default: the system temp directory, as Perl's default), so a
//! Perl page using `CGI::Session->new(undef, $cgi, {Directory => $dir})` sees the
//! same `views` count.

use cgi_session::cgi::CgiQuery;
use cgi_session::{Args, Config, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = Args::new();
    if let Ok(dir) = std::env::var("CGISESS_DIR") {
        args.insert("Directory".into(), dir);
    }
    let config = Config::new(None, args)?;
    // Perl: my $session = CGI::Session->new(undef, $cgi, {...});
    let mut session = config.new_request(&CgiQuery::from_env())?;
    let views = session
        .param("views")
        .and_then(Value::to_number)
        .map_or(0, |n| n.as_i64())
        + 1;
    session.set_param("views", views)?;
    session.expire("+30m")?;
    // An explicit flush reports errors; dropping the session would flush too.
    session.flush()?;
    print!("{}", session.header());
    println!(
        "<html><body><p>Session {} has seen this page {views} time(s).</p></body></html>",
        session.id().unwrap_or_default()
    );
    Ok(())
}
