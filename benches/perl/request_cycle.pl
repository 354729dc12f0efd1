#!/usr/bin/perl
# Perl's side of benches/request_cycle.rs: one request's use of CGI::Session 4.48,
# in process, over the same pool of stored sessions the Rust side uses.
#
#   request_cycle.pl --dsn DSN --ids FILE --min-time SECONDS
#                    (--directory DIR | --sqlite FILE)
#
# Every cycle loads the next session of the pool (FILE holds one id a line), reads
# the parameter `user`, sets `counter`, and flushes, as a request does. A sqlite
# store is opened once and its handle passed as `Handle`, as a persistent program
# (mod_perl, FastCGI) keeps one; the Rust side keeps one connection too. Cycles
# repeat until --min-time has passed. Prints {"seconds": SECONDS_PER_CYCLE, "cycles": N}.
use strict;
use warnings;

use CGI::Session 4.48;
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(time);

my %opt = ('min-time' => 1);
GetOptions(\%opt, 'dsn=s', 'ids=s', 'min-time=f', 'directory=s', 'sqlite=s')
  && $opt{dsn} && $opt{ids} && ($opt{directory} || $opt{sqlite})
  or die "usage: $0 --dsn DSN --ids FILE --min-time S (--directory DIR | --sqlite FILE)\n";

my @ids = do { open my $fh, '<', $opt{ids} or die "$opt{ids}: $!"; map { chomp; $_ } <$fh> };
@ids or die "$opt{ids}: no ids\n";

my %args;
if ($opt{directory}) {
    %args = (Directory => $opt{directory});
} else {
    require DBI;
    my $dbh = DBI->connect("dbi:SQLite:dbname=$opt{sqlite}", '', '',
        { RaiseError => 1, PrintError => 0, AutoCommit => 1 });
    %args = (Handle => $dbh);
}

my ($n, $start, $elapsed) = (0, time);
do {
    my $id = $ids[$n % @ids];
    my $s = CGI::Session->load($opt{dsn}, $id, \%args) or die CGI::Session->errstr, "\n";
    die "session $id was not found\n" if $s->is_empty;
    my $user = $s->param('user');
    $s->param(counter => $n);
    $s->flush or die $s->errstr, "\n";
    $n++;
} while (($elapsed = time - $start) < $opt{'min-time'});
printf qq({"seconds": %.9f, "cycles": %d}\n), $elapsed / $n, $n;
