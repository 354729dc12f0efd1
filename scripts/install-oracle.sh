#!/usr/bin/env bash
# Installs Perl's CGI::Session 4.48 and the modules the compatibility tests drive
# (the "oracle"), and Ruby 3.1 (the Ruby stores' oracle), from Debian's packages.
# Idempotent; needs root (or sudo).
set -euo pipefail
packages=(
  libcgi-session-perl libcgi-session-serialize-yaml-perl libfreezethaw-perl
  libyaml-syck-perl libdbd-sqlite3-perl libdbd-pg-perl libdbd-mysql-perl
  libcgi-pm-perl libjson-perl
  libredis-perl libcache-memcached-perl libcgi-session-driver-memcached-perl
  memcached
  libdb5.3   # the runtime libdb-5.3.so the db_file driver links (Perl's DB_File uses it too)
  lighttpd   # the web server tests/web_cgi.rs runs the Perl and Rust CGI pages under
  ruby       # Ruby 3.1's cgi/session and pstore: the oracle of the Ruby stores (issue 8)
)
# memcached (Debian's package) for the memcached driver's tests; it keeps nothing on disk.
start_memcached() {
  if ! (exec 3<>/dev/tcp/127.0.0.1/11211) 2>/dev/null; then
    memcached -d -u nobody -l 127.0.0.1 -p 11211 -m 64
  fi
}
if perl -MCGI::Session -MCGI -MFreezeThaw -MYAML::Syck -MJSON -MRedis -MCache::Memcached \
     -MCGI::Session::Driver::memcached -MDB_File -e 1 2>/dev/null \
   && command -v memcached >/dev/null && command -v lighttpd >/dev/null \
   && ruby -rcgi/session -rcgi/session/pstore -e 1 2>/dev/null && ldconfig -p | grep -q 'libdb-5.3.so '; then
  start_memcached
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${packages[@]}" >/dev/null
start_memcached
perl -MCGI::Session -e 'print "Perl oracle: CGI::Session $CGI::Session::VERSION\n"'
