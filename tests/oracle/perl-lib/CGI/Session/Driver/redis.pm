package CGI::Session::Driver::redis;

# A TEST STAND-IN, not CPAN's code. CPAN's CGI::Session::Driver::redis (Steve Kemp,
# 0.7) is not packaged in Debian and CPAN is not reachable from CI, so this module
# was written from the documented behaviour of that driver (the table in
# shared/spec/anchors-and-user-needs.md, section (c)) to let the Rust tests share a
# Redis store with "a Perl application using the redis driver". It reproduces what
# matters on the server, and Perl's known bugs, on purpose:
#
#   * arguments: Redis (a connected Redis.pm object, required), Prefix (default
#     "session"), Expire (seconds; false means no TTL);
#   * data key: Prefix . ":" . $sid with all whitespace removed (s/\s//g);
#   * store: SET key data; SADD "Prefix:members" key (the FULL key, set name built
#     from the raw prefix); then EXPIRE key Expire when Expire is true, as separate
#     commands, no MULTI;
#   * retrieve: GET key, 0 when missing; remove: DEL key, SREM "Prefix:members" key;
#   * traverse: SMEMBERS of the set named from the whitespace-stripped prefix, each
#     member handed to the callback AS IS (so find() sees "session:ID" as an id).
use strict;
use warnings;

use CGI::Session::Driver ();
our @ISA = ('CGI::Session::Driver');
our $VERSION = '0.7-standin';

sub init {
    my ($self) = @_;
    return $self->set_error("init(): 'Redis' attribute is required.")
        unless $self->{Redis};
    $self->{Prefix} ||= 'session';
    return 1;
}

sub _key {
    my ($self, $sid) = @_;
    my $key = $self->{Prefix} . ':' . $sid;
    $key =~ s/\s//g;
    return $key;
}

sub retrieve {
    my ($self, $sid) = @_;
    my $data = $self->{Redis}->get($self->_key($sid));
    return defined $data ? $data : 0;
}

sub store {
    my ($self, $sid, $datastr) = @_;
    my $redis = $self->{Redis};
    my $key = $self->_key($sid);
    $redis->set($key, $datastr);
    $redis->sadd("$self->{Prefix}:members", $key);
    $redis->expire($key, $self->{Expire}) if $self->{Expire};
    return 1;
}

sub remove {
    my ($self, $sid) = @_;
    my $redis = $self->{Redis};
    my $key = $self->_key($sid);
    $redis->del($key);
    $redis->srem("$self->{Prefix}:members", $key);
    return 1;
}

sub traverse {
    my ($self, $coderef) = @_;
    unless ($coderef && ref $coderef eq 'CODE') {
        require Carp;
        Carp::croak('traverse(): usage error');
    }
    (my $prefix = $self->{Prefix}) =~ s/\s//g;
    $coderef->($_) for $self->{Redis}->smembers("$prefix:members");
    return 1;
}

1;
