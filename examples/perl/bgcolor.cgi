#!/usr/bin/perl
# The classic CGI::Session example as a Perl CGI script (CGI.pm + CGI::Session 4.48):
# ?bgcolor=red (or a form posting bgcolor=red) paints the page red for this visitor
# on every later hit, until another colour is given; the page also shows when the
# visitor was last here.
#
# examples/bgcolor.rs is the same page in Rust. Both use the cookie CGISESSID and
# the session parameters bgcolor and last_visit, so a visitor keeps one session
# across them. The store comes from the environment, as for cgisess: CGISESS_DSN
# (default: Perl's own, driver:file;serializer:default;id:md5) and one
# CGISESS_ARG_<Name> per driver argument, e.g. CGISESS_ARG_Directory=/var/lib/app/sessions.
use strict;
use warnings;

use CGI ();
use CGI::Session ();
use CGI::Util ();

my %args = map { /^CGISESS_ARG_(.+)$/ ? ($1 => $ENV{$_}) : () } keys %ENV;
my $dsn  = $ENV{CGISESS_DSN};

my $cgi     = CGI->new;
my $session = CGI::Session->new($dsn, $cgi, \%args)
  or fail(CGI::Session->errstr);

my $notice = '';
if (defined(my $colour = $cgi->param('bgcolor'))) {
    if (is_colour($colour)) {
        $session->param(bgcolor => $colour);
    } else {
        $notice = 'That is not a colour name or #rrggbb; the colour is unchanged.';
    }
}
my $colour     = $session->param('bgcolor') || 'white';
my $last       = $session->param('last_visit');
my $last_visit = $last ? CGI::Util::expires($last, 'http') : 'never: this is your first visit';
$session->param(last_visit => time);
$session->flush or fail($session->errstr);

binmode STDOUT;
print $session->header;
print page('Perl', $colour, $last_visit, $notice);

# The colours both pages accept: a name or #rrggbb, so nothing reaches the HTML
# that needs escaping.
sub is_colour { $_[0] =~ /\A#?[A-Za-z0-9]{1,20}\z/ }

# The page, byte for byte the Rust program's but for the engine.
sub page {
    my ($engine, $colour, $last_visit, $notice) = @_;
    return <<"HTML";
<!DOCTYPE html>
<html><head><title>bgcolor</title></head>
<body style="background-color: $colour">
<p>Your colour is <b id="colour">$colour</b>.</p>
<p>Last visit: <span id="last-visit">$last_visit</span></p>
<p id="notice">$notice</p>
<form method="post"><input name="bgcolor" value="$colour"> <button>Change</button></form>
<p>Served by <span id="engine">$engine</span>.</p>
</body></html>
HTML
}

sub fail {
    my ($error) = @_;
    # The error goes to the server's error log; the visitor gets a plain 500.
    print STDERR "bgcolor: $error\n";
    print "Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\n";
    print "The page failed; the server's error log says why.\n";
    exit 1;
}
