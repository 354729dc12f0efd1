#!/usr/bin/perl
# Perl's side of benches/purge.rs: the cron job CGI::Session 4.48's documentation
# suggests, timed on the same store the Rust purge runs on.
#
#   purge.pl DIRECTORY
#
# find() loads every session read-only; the load removes expired sessions and
# clears expired parameters, and a session whose parameters were cleared is
# rewritten when its object goes away. Prints {"seconds": S, "left": N}: the time
# find() took and the number of sessions it left.
use strict;
use warnings;

use CGI::Session 4.48;
use Time::HiRes qw(time);

my $dir = shift or die "usage: $0 DIRECTORY\n";
my $started = time;
CGI::Session->find('driver:file;serializer:default', sub { }, { Directory => $dir })
  or die CGI::Session->errstr;
my $seconds = time - $started;
opendir my $dh, $dir or die "$dir: $!";
my $left = grep { /^cgisess_/ } readdir $dh;
printf qq({"seconds": %.6f, "left": %d}\n), $seconds, $left;
