#!/usr/bin/perl
# The Perl oracle: runs the real CGI::Session 4.48 on behalf of the Rust tests.
#
# Perl data crosses the process boundary as "typed JSON" (see README.md next to
# this file), which keeps what plain JSON loses: integer vs float vs string, bytes
# vs characters, blessing, and shared references.
#
#   oracle.pl ping
#   oracle.pl thaw   --serializer NAME FILE          raw bytes in FILE -> typed JSON
#   oracle.pl freeze --serializer NAME               typed JSON on stdin -> raw bytes
#   oracle.pl load   --dsn DSN --args JSON --id ID [--read-only]
#   oracle.pl new    --dsn DSN --args JSON [--id ID] spec JSON on stdin
#   oracle.pl lock   --file PATH --mode ex|sh --hold-ms N
#   oracle.pl hammer --dsn DSN --args JSON --plan JSON --tag T
#   oracle.pl crash-writer --dsn DSN --args JSON --id ID --start N
#   oracle.pl cookie --dsn DSN --args JSON --id ID [--cookie JSON] [--header JSON]
#   oracle.pl request --name NAME                    CGI->new from the CGI environment
#
# With CGISESS_ORACLE_TIME=EPOCH set, time() is that instant everywhere (CGI::Session,
# CGI.pm's cookie dates and Date header), so output that contains the time is exact.
#
# Exit status: 0 when Perl did its work, including when CGI::Session itself reported
# an error (printed as {"error":"..."}); 2 for a usage error or a bug in this script.
use strict;
use warnings;

BEGIN {
    # Before any module is compiled, so that every later time() call sees it.
    if (defined $ENV{CGISESS_ORACLE_TIME}) {
        my $frozen = 0 + $ENV{CGISESS_ORACLE_TIME};
        no warnings 'once';
        *CORE::GLOBAL::time = sub () { $frozen };
    }
}

use B ();
use Fcntl qw(:flock O_RDONLY);
use Getopt::Long qw(GetOptionsFromArray);
use IO::Select ();
use JSON::PP ();
use POSIX ();
use Scalar::Util qw(blessed refaddr reftype);
use Time::HiRes ();

# The redis driver's test stand-in (perl-lib/CGI/Session/Driver/redis.pm).
use FindBin ();
use lib "$FindBin::Bin/perl-lib";
# The json serializer's Perl side, shipped with the crate (perl/lib/CGI/Session/Serialize/json.pm).
use lib "$FindBin::Bin/../../perl/lib";

use CGI::Session ();

# The overloaded class of CGI::Session's own test suite (CGI::Session::Test::Default).
# Storable thaws an object of an overloaded class only once the class is loaded.
{
    package OverloadedClass;
    use overload '""' => sub { $_[0]->{str_value} }, 'eq' => sub { "$_[0]" eq $_[1] };
    sub new { bless { str_value => $_[1] }, $_[0] }
}

exit main(@ARGV);

sub main {
    my ($command, @args) = @_;
    my %commands = (
        ping   => \&cmd_ping,
        thaw   => \&cmd_thaw,
        freeze => \&cmd_freeze,
        load   => \&cmd_load,
        new    => \&cmd_new,
        lock   => \&cmd_lock,
        hammer => \&cmd_hammer,
        'crash-writer' => \&cmd_crash_writer,
        purge  => \&cmd_purge,
        dump   => \&cmd_dump,
        cookie  => \&cmd_cookie,
        request => \&cmd_request,
    );
    my $run = defined $command ? $commands{$command} : undef;
    usage("unknown command " . ($command // '(none)')) unless $run;
    $run->(@args);
    return 0;
}

sub usage {
    print STDERR "oracle.pl: $_[0]\n";
    exit 2;
}

sub options {
    my ($args, @spec) = @_;
    my %opt;
    GetOptionsFromArray($args, \%opt, @spec) or usage("bad options");
    return \%opt;
}

# Canonical output, non-ASCII escaped: byte strings stay unambiguous to a reader.
sub json { JSON::PP->new->utf8->canonical->ascii->allow_nonref }

sub print_json {
    my ($data) = @_;
    binmode STDOUT;
    print json()->encode($data), "\n";
}

sub read_stdin {
    binmode STDIN;
    local $/;
    return scalar <STDIN>;
}

sub serializer_class {
    my ($name) = @_;
    usage("bad serializer name '$name'") unless $name =~ /^\w+$/;
    my $class = "CGI::Session::Serialize::$name";
    eval "require $class; 1" or usage("cannot load $class: $@");
    return $class;
}

# ---------------------------------------------------------------- commands

sub cmd_ping {
    print_json({ perl => "$]", cgi_session => $CGI::Session::VERSION });
}

sub cmd_thaw {
    my $opt = options(\@_, 'serializer=s');
    my ($file) = @_;
    usage("thaw: --serializer NAME FILE") unless $opt->{serializer} && defined $file;
    my $class = serializer_class($opt->{serializer});
    open my $fh, '<:raw', $file or usage("thaw: cannot open $file: $!");
    my $bytes = do { local $/; <$fh> } // '';
    close $fh;
    my $data = eval { $class->thaw($bytes) };
    if (my $died = $@) {
        return print_json({ error => "died: $died" });
    }
    return print_json({ error => $class->errstr }) unless defined $data;
    print_json({ data => to_typed($data) });
}

sub cmd_freeze {
    my $opt = options(\@_, 'serializer=s');
    usage("freeze: --serializer NAME") unless $opt->{serializer};
    my $class = serializer_class($opt->{serializer});
    my $data = from_typed(json()->decode(read_stdin()));
    my $bytes = eval { $class->freeze($data) };
    usage("freeze died: $@") if $@;
    usage("freeze failed: " . $class->errstr) unless defined $bytes;
    binmode STDOUT;
    print $bytes;
}

sub session_args {
    my ($opt) = @_;
    my $args = json()->decode($opt->{args} // '{}');
    usage("--args must be a JSON object") unless ref $args eq 'HASH';
    kv_client($opt->{dsn}, $args);
    return $args;
}

# Perl's redis and memcached drivers take a client object, not an address: build it
# from the Rust driver's arguments (Server/Database/Password; Servers/Namespace/
# CompressThreshold/NoRehash), so one args hash configures both sides.
sub kv_client {
    my ($dsn, $args) = @_;
    my $driver = $dsn ? CGI::Session->parse_dsn($dsn)->{driver} // '' : '';
    if ($driver eq 'redis' && !$args->{Redis}) {
        require Redis;
        my ($server, $password, $db) = ($args->{Server} || '127.0.0.1:6379', $args->{Password}, $args->{Database});
        if ($server =~ m{^redis://(?:[^:@/]*:([^@/]*)@)?([^/]+?)/?(\d*)$}) {
            ($server, $password, $db) = ($2, $password // $1, $db // $3);
        }
        my $redis = Redis->new(($server =~ m{^/} ? 'sock' : 'server') => $server,
                               $password ? (password => $password) : ());
        $redis->select($db) if $db;
        $args->{Redis} = $redis;
    }
    if ($driver eq 'memcached' && !$args->{Memcached}) {
        require Cache::Memcached;
        $args->{Memcached} = Cache::Memcached->new({
            servers            => [split /\s*,\s*/, $args->{Servers} || '127.0.0.1:11211'],
            namespace          => $args->{Namespace},
            compress_threshold => $args->{CompressThreshold},
            no_rehash          => $args->{NoRehash},
        });
    }
}

sub cmd_load {
    my $opt = options(\@_, 'dsn=s', 'args=s', 'id=s', 'read-only');
    usage("load: --id ID is required") unless defined $opt->{id};
    my @call = ($opt->{dsn}, $opt->{id}, session_args($opt));
    push @call, 1 if $opt->{'read-only'};
    my $s = eval { CGI::Session->load(@call) };
    return print_json({ error => "died: $@" }) if $@;
    return print_json({ error => CGI::Session->errstr }) unless $s;
    # Capture before flushing: a flush after delete or expiry empties the data.
    my %report = (
        data       => to_typed($s->dataref),
        id         => to_typed($s->id),
        is_empty   => bool($s->is_empty),
        is_expired => bool($s->is_expired),
        is_new     => bool($s->is_new),
    );
    # What DESTROY would do anyway (a non-read-only load always rewrites ATIME);
    # done here so that an error is reported instead of lost in global destruction.
    $report{flush_error} = $s->errstr if !$s->flush && $s->errstr;
    print_json(\%report);
}

# The cron job of CGI::Session's documentation: find() with a callback that does
# nothing; the read-only loads remove expired sessions and clear expired parameters.
sub cmd_purge {
    my $opt = options(\@_, 'dsn=s', 'args=s');
    my $ok = eval { CGI::Session->find($opt->{dsn}, sub { }, session_args($opt)) };
    return print_json({ error => "died: $@" }) if $@;
    print_json($ok ? { ok => bool(1) } : { error => CGI::Session->errstr || 'find() failed' });
}

# Every stored record as Perl's own driver lists it and its serializer reads it, with
# no session semantics (nothing expires, nothing is written): {id => typed data}.
sub cmd_dump {
    my $opt = options(\@_, 'dsn=s', 'args=s');
    my $dsn = CGI::Session->parse_dsn($opt->{dsn});
    my $driver_class = "CGI::Session::Driver::" . ($dsn->{driver} || 'file');
    my $serializer = serializer_class($dsn->{serializer} || 'default');
    eval "require $driver_class; 1" or die $@;
    my $driver = $driver_class->new(session_args($opt)) or die $driver_class->errstr;
    my %records;
    $driver->traverse(sub {
        my $id = shift;
        my $raw = $driver->retrieve($id);
        $records{$id} = $raw ? to_typed(eval { $serializer->thaw($raw) } // "unreadable: $@")
                             : undef;
    }) or die $driver->errstr;
    print_json(\%records);
}

sub cmd_new {
    my $opt = options(\@_, 'dsn=s', 'args=s', 'id=s');
    my $spec = json()->decode(read_stdin() || '{}');
    my $s = eval { CGI::Session->new($opt->{dsn}, $opt->{id}, session_args($opt)) };
    return print_json({ error => "died: $@" }) if $@;
    return print_json({ error => CGI::Session->errstr }) unless $s;
    my $params = $spec->{params} || {};
    for my $name (sort keys %$params) {
        $s->param($name, from_typed($params->{$name}));
    }
    # A JSON number is passed as a Perl number and a JSON string as a string, because
    # CGI::Session stores expire('3600') and expire(3600) differently (spec §3.4).
    $s->expire($spec->{expire}) if exists $spec->{expire};
    my $per_param = $spec->{expire_params} || {};
    $s->expire($_, $per_param->{$_}) for sort keys %$per_param;
    $s->flush or return print_json({ error => "flush: " . $s->errstr });
    print_json({ id => "" . $s->id, data => to_typed($s->dataref) });
}

# Holds an flock(2) lock, as Perl's file driver takes it, until stdin closes or
# --hold-ms elapses, so a test can release it exactly when it wants.
sub cmd_lock {
    my $opt = options(\@_, 'file=s', 'mode=s', 'hold-ms=i');
    my ($file, $mode) = @{$opt}{qw(file mode)};
    usage("lock: --file PATH --mode ex|sh --hold-ms N")
      unless defined $file && defined $mode && $mode =~ /^(ex|sh)$/;
    # Read-only is enough: flock(2) ignores the open mode, and never creating the
    # file keeps "not found" meaning what it means to the drivers.
    sysopen my $fh, $file, O_RDONLY or usage("lock: cannot open $file: $!");
    flock $fh, $mode eq 'ex' ? LOCK_EX : LOCK_SH or usage("lock: flock $file: $!");
    $| = 1;
    print "locked\n";
    IO::Select->new(\*STDIN)->can_read(($opt->{'hold-ms'} // 60_000) / 1000);
    flock $fh, LOCK_UN;
    close $fh;
    print "released\n";
}

# One writer of a concurrency test: COUNT rounds of new(id) + param(T, round) +
# flush for every id, as concurrent requests do. The DSN should use id:static so that
# new() creates a missing id instead of drawing another. Any load that finds a record
# it cannot read (a torn write) or a flush that fails ends the run with an error.
# One writer of the concurrency tests (tests/common/hammer.rs, whose Rust writers do
# the same): --plan is {ids, doomed, count, churn, role}. Each round it updates every
# id of ids and doomed (new + param(TAG, round) + flush); a "deleter" then deletes
# the doomed ids; with churn it creates keep.TAG.ROUND (expire 3600) and
# eph.TAG.ROUND (expire 1); a "purger" runs find() with the purge callback of spec §4,
# and once more after the last round, 1.2 s later. A failure is recorded and the
# writer goes on: {ops => {update, delete, create, purge}, expired, failures => [...]}.
sub cmd_hammer {
    my $opt = options(\@_, 'dsn=s', 'args=s', 'plan=s', 'tag=s');
    usage("hammer: --dsn --plan --tag") unless $opt->{dsn} && $opt->{plan} && $opt->{tag};
    my $plan = json()->decode($opt->{plan});
    my ($dsn, $tag, $role) = ($opt->{dsn}, $opt->{tag}, $plan->{role} // 'writer');
    my (%ops, @failures);
    my $expired = 0;
    my $try = sub {
        my ($op, $id, $code) = @_;
        # load() returns undef while the class errstr is set (spec §2.3 step 4).
        CGI::Session->set_error('');
        my $ok = eval { $code->() };
        my $error = $@ ? "died: $@" : $ok ? undef : CGI::Session->errstr || 'failed';
        if (defined $error) {
            chomp $error;
            push @failures, { op => $op, id => $id, error => $error };
        } else {
            $ops{$op}++;
        }
    };
    my $write = sub {
        my ($op, $id, $round, $expire) = @_;
        $try->($op, $id, sub {
            my $s = CGI::Session->new($dsn, $id, session_args($opt)) or return;
            die "got id " . $s->id . "\n" unless $s->id eq $id;
            $s->expire($expire) if $expire;
            $s->param($tag, $round);
            $s->flush or die "flush: " . $s->errstr . "\n";
        });
    };
    my $purge = sub {
        $try->('purge', '', sub {
            CGI::Session->find($dsn, sub {
                my ($s) = @_;
                # Expired sessions are removed by find()'s own load (spec §4 step 3).
                $expired++ if $s->is_expired;
                return if $s->is_empty;
                $s->delete if $s->is_expired;
            }, session_args($opt));
        });
    };
    for my $round (1 .. $plan->{count}) {
        # A lexical loop variable: find() clobbers $_, which would alias the plan's ids.
        for my $id (@{ $plan->{ids} }, @{ $plan->{doomed} || [] }) {
            $write->('update', $id, $round);
        }
        if ($role eq 'deleter') {
            for my $id (@{ $plan->{doomed} || [] }) {
                $try->('delete', $id, sub {
                    # new() of a missing id deletes a session never stored: no store access.
                    my $s = CGI::Session->new($dsn, $id, session_args($opt)) or return;
                    $s->delete;
                    $s->flush or die "flush: " . $s->errstr . "\n";
                });
            }
        }
        if ($plan->{churn}) {
            $write->('create', "keep.$tag.$round", $round, 3600);
            $write->('create', "eph.$tag.$round", $round, 1);
        }
        $purge->() if $role eq 'purger';
    }
    if ($role eq 'purger') {
        Time::HiRes::sleep(1.2);
        $purge->();
    }
    print_json({ ops => \%ops, expired => $expired, failures => \@failures });
}

# The writer tests/crash.rs kills: flushes param n = N, N+1, ... to session ID for
# ever, and after each flush that returned prints "FLUSHED N" (unbuffered).
sub cmd_crash_writer {
    my $opt = options(\@_, 'dsn=s', 'args=s', 'id=s', 'start=i');
    usage("crash-writer: --dsn --id --start") unless $opt->{dsn} && $opt->{id} && defined $opt->{start};
    for (my $n = $opt->{start}; ; $n++) {
        my $s = CGI::Session->new($opt->{dsn}, $opt->{id}, session_args($opt))
            or die CGI::Session->errstr;
        $s->param(n => $n);
        $s->flush or die $s->errstr;
        syswrite STDOUT, "FLUSHED $n\n";
    }
}

# $s->cookie(@cookie) and $s->header(@header) of CGI::Session->new(DSN, ID, ARGS), with
# a CGI.pm query object built from the environment; then a flush. --cookie and
# --header are JSON arrays of CGI.pm's named arguments, e.g. ["-secure", 1].
sub cmd_cookie {
    my $opt = options(\@_, 'dsn=s', 'args=s', 'id=s', 'cookie=s', 'header=s');
    my @cookie = @{ json()->decode($opt->{cookie} // '[]') };
    my @header = @{ json()->decode($opt->{header} // '[]') };
    require CGI;
    my $s = eval { CGI::Session->new($opt->{dsn}, $opt->{id}, session_args($opt)) };
    return print_json({ error => "died: $@" }) if $@;
    return print_json({ error => CGI::Session->errstr }) unless $s;
    my $cookie = $s->cookie(@cookie);
    my %report = (
        id         => "" . ($s->id // ''),
        is_new     => bool($s->is_new),
        is_expired => bool($s->is_expired),
        cookie     => ref $cookie ? $cookie->as_string : $cookie,
        # $s->header itself; with cookie attributes, what it does with them passed on.
        header     => @cookie ? $s->query->header(-cookie => $cookie, -type => 'text/html', @header)
                              : $s->header(@header),
    );
    $s->flush or return print_json({ error => "flush: " . $s->errstr });
    print_json(\%report);
}

# What CGI.pm's CGI->new reads from the CGI environment (REQUEST_METHOD, QUERY_STRING,
# HTTP_COOKIE, CONTENT_TYPE, CONTENT_LENGTH and the body on stdin): the claimed id
# as CGI::Session takes it, every parameter in order, and what is left on stdin.
sub cmd_request {
    my $opt = options(\@_, 'name=s');
    my $name = $opt->{name} // 'CGISESSID';
    require CGI;
    binmode STDIN;
    my $q = CGI->new;
    my $claimed = $q->cookie($name) || $q->param($name);
    print_json({
        claimed => to_typed($claimed),
        params  => [map { [to_typed($_), [map { to_typed($_) } $q->multi_param($_)]] } $q->param],
        rest    => to_typed(read_stdin()),
    });
}

sub bool { $_[0] ? JSON::PP::true : JSON::PP::false }

# ---------------------------------------------------------------- Perl -> typed JSON

# Two passes: the first counts how often each referent is reached, the second
# writes it, giving an "id" only to referents reached more than once. Ids are
# numbered in the order the second pass meets them, with hash keys sorted by code
# point, which the Rust side reproduces exactly.
sub to_typed {
    my ($data) = @_;
    my %count;
    count_refs(\$data, \%count);
    my $state = { count => \%count, ids => {}, next => 1 };
    return typed_slot(\$data, $state);
}

# Code refs carry no identity: Rust's Value::Code has none to compare with.
sub identity {
    my ($ref) = @_;
    return reftype($ref) eq 'CODE' ? undef : refaddr($ref);
}

sub count_refs {
    my ($slot, $count) = @_;
    my $ref = $$slot;
    return unless ref $ref;
    my $id = identity($ref);
    return if defined $id && $count->{$id}++;
    my $type = reftype $ref;
    if    ($type eq 'HASH')  { count_refs(\$ref->{$_}, $count) for keys %$ref }
    elsif ($type eq 'ARRAY') { count_refs(\$_, $count) for @$ref }
    elsif ($type eq 'SCALAR' || $type eq 'REF') { count_refs($ref, $count) }
}

# $slot is a reference to the scalar being described, so that B sees the scalar
# itself rather than a copy (copying can change flags).
sub typed_slot {
    my ($slot, $state) = @_;
    my $ref = $$slot;
    return typed_scalar($slot) unless ref $ref;

    my $id = identity($ref);
    if (defined $id && $state->{count}{$id} > 1) {
        return { same => $state->{ids}{$id} } if exists $state->{ids}{$id};
        $state->{ids}{$id} = $state->{next}++;
    }
    my $node = typed_referent($ref, $state);
    my $class = blessed $ref;
    if (defined $class && !($class eq 'Regexp' && reftype($ref) eq 'REGEXP')) {
        $node = { bless => $class, value => $node };
    }
    $node->{id} = $state->{ids}{$id} if defined $id && exists $state->{ids}{$id};
    return $node;
}

sub typed_referent {
    my ($ref, $state) = @_;
    my $type = reftype $ref;
    if ($type eq 'HASH') {
        my (%hash, @utf8_keys);
        for my $key (sort keys %$ref) {
            $hash{$key} = typed_slot(\$ref->{$key}, $state);
            push @utf8_keys, $key if utf8::is_utf8($key) && $key !~ /[^\x00-\xff]/;
        }
        return { hash => \%hash, @utf8_keys ? (utf8_keys => \@utf8_keys) : () };
    }
    return { array => [ map { typed_slot(\$_, $state) } @$ref ] } if $type eq 'ARRAY';
    return { ref => typed_slot($ref, $state) } if $type eq 'SCALAR' || $type eq 'REF';
    return { code => JSON::PP::true } if $type eq 'CODE';
    if ($type eq 'REGEXP') {
        my ($pattern, $flags) = re::regexp_pattern($ref);
        return { regexp => $pattern, flags => $flags };
    }
    die "oracle.pl: cannot describe a $type reference\n";
}

# Data::Dumper's notion of a number (spec §7.1): IOK whose string form, if any, is
# the integer's own text is an integer; NOK likewise a float; anything else with a
# string is a string. A string numified once ('3600' + 0) therefore counts as an
# integer afterwards, exactly as Data::Dumper then writes it bare.
sub typed_scalar {
    my ($slot) = @_;
    return undef unless defined $$slot;
    my $sv = B::svref_2object($slot);
    my $flags = $sv->FLAGS;
    my $pv = $flags & B::SVf_POK ? $sv->PV : undef;
    if ($flags & B::SVf_IOK) {
        my $int = $flags & B::SVf_IVisUV ? $sv->UV : $sv->IV;
        my $text = sprintf($flags & B::SVf_IVisUV ? '%u' : '%d', $int);
        return { int => $int } if !defined $pv || $pv eq $text;
    }
    if ($flags & B::SVf_NOK) {
        my $nv = $sv->NV;
        my $text = "" . $nv;    # Perl's own stringification (%.15g, Inf, NaN)
        return { num => float_text($nv) } if !defined $pv || $pv eq $text;
    }
    die "oracle.pl: cannot describe a scalar with flags $flags\n" unless $flags & B::SVp_POK;
    my $string = $$slot;
    return { str => $string } unless utf8::is_utf8($string);
    # JSON cannot hold surrogates or code points beyond U+10FFFF.
    return { utf8_cp => [ map { ord } split //, $string ] }
      if $string =~ /[\x{d800}-\x{dfff}]/ || $string =~ /[^\x{0}-\x{10ffff}]/;
    return { utf8 => $string };
}

# The shortest of %.15g, %.16g, %.17g that reads back as the same double, so
# 0.1 stays "0.1" and 0.1 + 0.2 becomes "0.30000000000000004". The Rust side
# formats the same way.
sub float_text {
    my ($nv) = @_;
    return $nv > 0 ? 'Inf' : $nv < 0 ? '-Inf' : 'NaN' if $nv != $nv || $nv * 0 != 0;
    for my $digits (15, 16) {
        my $text = sprintf "%.${digits}g", $nv;
        return $text if POSIX::strtod($text) == $nv;
    }
    return sprintf "%.17g", $nv;
}

# ---------------------------------------------------------------- typed JSON -> Perl

sub from_typed {
    my ($typed) = @_;
    return build($typed, {});
}

sub build {
    my ($t, $seen) = @_;
    return undef unless defined $t;
    die "oracle.pl: typed value must be null or an object\n" unless ref $t eq 'HASH';
    if (exists $t->{same}) {
        return $seen->{ $t->{same} } // die "oracle.pl: same $t->{same} before its id\n";
    }
    # pack/unpack and strtod make fresh scalars with exactly one numeric flag.
    if (exists $t->{int}) {
        my $n = $t->{int};
        return $n =~ /^\d{19,}$/ ? unpack('Q', pack 'Q', $n) : unpack('q', pack 'q', $n);
    }
    return scalar POSIX::strtod($t->{num}) if exists $t->{num};
    if (exists $t->{str}) {
        my $s = $t->{str};
        utf8::downgrade($s, 1) or die "oracle.pl: str holds a character above 0xFF\n";
        return $s;
    }
    if (exists $t->{utf8} || exists $t->{utf8_cp}) {
        my $s = exists $t->{utf8} ? $t->{utf8} : join '', map { chr } @{ $t->{utf8_cp} };
        utf8::upgrade($s);
        return $s;
    }
    my $id = $t->{id};
    if (exists $t->{bless}) {
        my $ref = build({ %{ $t->{value} }, defined $id ? (id => $id) : () }, $seen);
        return bless $ref, $t->{bless};
    }
    if (exists $t->{hash}) {
        my $hash = {};
        $seen->{$id} = $hash if defined $id;
        my %utf8_key = map { $_ => 1 } @{ $t->{utf8_keys} || [] };
        # The order ids were given in (to_typed), so each id is built before its uses.
        for my $key (sort keys %{ $t->{hash} }) {
            my $perl_key = $key;
            $utf8_key{$key} ? utf8::upgrade($perl_key) : utf8::downgrade($perl_key, 1);
            $hash->{$perl_key} = build($t->{hash}{$key}, $seen);
        }
        return $hash;
    }
    if (exists $t->{array}) {
        my $array = [];
        $seen->{$id} = $array if defined $id;
        push @$array, build($_, $seen) for @{ $t->{array} };
        return $array;
    }
    if (exists $t->{ref}) {
        my $target;
        my $ref = \$target;
        $seen->{$id} = $ref if defined $id;
        $target = build($t->{ref}, $seen);
        return $ref;
    }
    return sub { "DUMMY" } if exists $t->{code};
    if (exists $t->{regexp}) {
        my ($pattern, $flags) = ($t->{regexp}, $t->{flags} // '');
        die "oracle.pl: bad regexp flags '$flags'\n" unless $flags =~ /^[a-z]*$/;
        my $re = eval "qr/\$pattern/$flags" or die "oracle.pl: bad regexp: $@";
        $seen->{$id} = $re if defined $id;
        return $re;
    }
    die "oracle.pl: unknown typed value with keys " . join(',', sort keys %$t) . "\n";
}
