//! The classic CGI::Session example as a Rust CGI program: `?bgcolor=red` (or a
//! form posting `bgcolor=red`) paints the page red for this visitor on every later
//! hit, until another colour is given; the page also shows when the visitor was
//! last here.
//!
//! `examples/perl/bgcolor.cgi` is the same page in Perl with CGI.pm and
//! CGI::Session 4.48. Both use the cookie `CGISESSID` and the session parameters
//! `bgcolor` and `last_visit`, so one site can serve either page and a visitor keeps
//! one session across them (`tests/web_cgi.rs` runs both under lighttpd).
//!
//! The store comes from the environment, as for `cgisess`: `CGISESS_DSN` (default:
//! Perl's `driver:file;serializer:default;id:md5`) and one `CGISESS_ARG_<Name>` per
//! driver argument, e.g. `CGISESS_ARG_Directory=/var/lib/app/sessions` (default:
//! the system temp directory, as Perl's file driver).
//!
//! From a shell: `REQUEST_METHOD=GET QUERY_STRING=bgcolor=red cargo run --example bgcolor`.

use std::io::Write;

use cgi_session::cgi::{CgiQuery, Query};

#[path = "common/bgcolor.rs"]
mod bgcolor;

fn main() {
    if let Err(e) = run() {
        // The error goes to the server's error log; the visitor gets a plain 500.
        eprintln!("bgcolor: {e}");
        print!("Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\n");
        println!("The page failed; the server's error log says why.");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = bgcolor::config_from_env()?;
    // Perl: my $cgi = CGI->new; the body of a posted form is read here, as CGI.pm does,
    // and handed back (unused by this page).
    let (query, _body) = CgiQuery::from_env_with_body(&mut std::io::stdin().lock())?;
    // Perl: my $session = CGI::Session->new($dsn, $cgi, \%args);
    let mut session = config.new_request(&query)?;
    // Perl: $cgi->param('bgcolor'), the first value.
    let requested = query
        .param_values("bgcolor")
        .into_iter()
        .next()
        .map(|c| c.to_text().into_owned());
    let page = bgcolor::visit(&mut session, requested.as_deref(), "Rust", "")?;
    // An explicit flush reports errors; dropping the session would flush too.
    session.flush()?;
    let mut out = std::io::stdout().lock();
    // Perl: print $session->header;
    write!(out, "{}{page}", session.header())?;
    Ok(())
}
