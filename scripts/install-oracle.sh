#!/usr/bin/env bash
# Installs Perl's CGI::Session 4.48 and the modules the compatibility tests drive
# (the "oracle"), from Debian's packages. Idempotent; needs root (or sudo).
set -euo pipefail
packages=(
  libcgi-session-perl libcgi-session-serialize-yaml-perl libfreezethaw-perl
  libyaml-syck-perl libdbd-sqlite3-perl libdbd-pg-perl libdbd-mysql-perl
  libcgi-pm-perl libjson-perl
)
if perl -MCGI::Session -MCGI -MFreezeThaw -MYAML::Syck -MJSON -e 1 2>/dev/null; then
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${packages[@]}" >/dev/null
perl -MCGI::Session -e 'print "Perl oracle: CGI::Session $CGI::Session::VERSION\n"'
