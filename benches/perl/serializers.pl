#!/usr/bin/perl
# Perl's side of benches/serializers.rs: times CGI::Session 4.48's own serializer
# modules on the same session the Rust side times, in the same run.
#
#   serializers.pl --input FILE --serializers default,storable,... --min-time SECONDS
#
# FILE holds the session as the default serializer writes it; it is thawed once
# (Perl's own reading, so both sides time the same data), then for every serializer
# freeze and thaw are each repeated until --min-time has passed. Prints one JSON
# object: {"NAME": {"bytes": N, "freeze": SECONDS_PER_OP, "thaw": SECONDS_PER_OP}}.
use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/../../perl/lib";    # the json serializer this project ships
use Getopt::Long qw(GetOptions);
use JSON::PP ();
use Time::HiRes qw(time);

my %opt = ('min-time' => 1);
GetOptions(\%opt, 'input=s', 'serializers=s', 'min-time=f') && $opt{input} && $opt{serializers}
  or die "usage: $0 --input FILE --serializers A,B --min-time S\n";

my $text = do { open my $fh, '<:raw', $opt{input} or die "$opt{input}: $!"; local $/; <$fh> };
require CGI::Session::Serialize::default;
my $data = CGI::Session::Serialize::default->thaw($text) or die "cannot thaw the input\n";

# Seconds per call of $code, over at least $min seconds of repeated calls.
sub per_op {
    my ($code, $min) = @_;
    my ($n, $start) = (0, time);
    my $elapsed;
    do { $code->(); $n++ } while (($elapsed = time - $start) < $min);
    return $elapsed / $n;
}

my %report;
for my $name (split /,/, $opt{serializers}) {
    my $class = "CGI::Session::Serialize::$name";
    eval "require $class; 1" or die "cannot load $class: $@";
    my $frozen = $class->freeze($data);
    $report{$name} = {
        bytes  => length $frozen,
        freeze => per_op(sub { $class->freeze($data) }, $opt{'min-time'}),
        thaw   => per_op(sub { $class->thaw($frozen) }, $opt{'min-time'}),
    };
}
print JSON::PP->new->canonical->encode(\%report), "\n";
