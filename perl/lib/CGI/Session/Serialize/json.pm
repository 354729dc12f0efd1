package CGI::Session::Serialize::json;

# The JSON serializer of the Rust cgi-session crate, for Perl's CGI::Session 4.48.
# Put this file's lib directory in @INC and say "serializer:json" in the DSN; Perl
# and Rust then read and write the same records, byte for byte. The mapping (plain
# JSON for plain data, "$"-keyed objects for what only Perl has) is documented in
# serializers/src/json/mod.rs of that crate. Only core modules are used.

use strict;
use warnings;
no warnings 'recursion';    # nesting is bounded by MAX_NESTING

use B ();
use JSON::PP ();
use POSIX ();
use Scalar::Util qw(blessed refaddr reftype);
use CGI::Session::ErrorHandler;

our @ISA     = ('CGI::Session::ErrorHandler');
our $VERSION = '1.00';

use constant MAX_NESTING => 127;    # serde_json's limit; neither side writes deeper
my $JSON = JSON::PP->new->utf8->allow_nonref->max_depth(MAX_NESTING);
# Numbers with a fraction or exponent come as Math::BigFloat (their exact text), read
# with C's strtod: Perl's own conversion can be off by one unit in the last place,
# and can even make an integer of "1.0e+16".
my $DECODE = JSON::PP->new->utf8->allow_nonref->allow_bignum->max_depth(MAX_NESTING);
my $NOT_JSON = qr/[\x{d800}-\x{dfff}]|[^\x{0}-\x{10ffff}]/;    # what JSON text cannot carry

sub freeze {
    my ($class, $data) = @_;
    my %count;
    my $out = eval { _count($data, \%count, 0); _out(\$data, { count => \%count, id => {}, next => 1 }, 0) };
    return defined $out ? $out : $class->set_error("freeze(): couldn't freeze. $@");
}

sub thaw {
    my ($class, $string) = @_;
    my $data;
    eval { $data = _in($DECODE->decode($string), {}); 1 } or return $class->set_error("thaw(): couldn't thaw. $@");
    return $data;
}

# ---------------------------------------------------------------- writing

sub _nest { die "data nested deeper than ${\ MAX_NESTING} JSON levels\n" if $_[0] >= MAX_NESTING }
sub _tag  { my ($depth, @kv) = @_; _nest($depth); '{' . join(',', map { qq{"$kv[2 * $_]":$kv[2 * $_ + 1]} } 0 .. $#kv / 2) . '}' }
sub _id   { ref $_[0] && reftype($_[0]) ne 'CODE' ? refaddr($_[0]) : undef }    # code refs have no identity

# How often each referent is reached; a referent reached twice gets an id.
sub _count {
    my ($v, $count, $depth) = @_;
    return if !ref $v || $depth > MAX_NESTING;
    my $id = _id($v);
    return if defined $id && $count->{$id}++;
    my $type = reftype $v;
    _count($_, $count, $depth + 1) for $type eq 'HASH' ? values %$v : $type eq 'ARRAY' ? @$v : $type =~ /^(?:SCALAR|REF)\z/ ? $$v : ();
}

sub _out {
    my ($slot, $st, $depth) = @_;    # a reference to the scalar, so that B sees its own flags
    my $v = $$slot;
    return _scalar($slot, $depth) unless ref $v;
    my $id = _id($v);
    return _referent($v, $st, $depth) unless defined $id && $st->{count}{$id} > 1;
    return _tag($depth, '$same' => $st->{id}{$id}) if exists $st->{id}{$id};
    my $n = $st->{id}{$id} = $st->{next}++;
    return _tag($depth, '$id' => $n, '$value' => _referent($v, $st, $depth + 1));
}

sub _referent {
    my ($v, $st, $depth) = @_;
    my ($type, $class) = (reftype $v, blessed $v);
    return _tag($depth, '$bless' => _string($class, $depth + 1), '$value' => _unblessed($v, $type, $st, $depth + 1))
      if defined $class && !($class eq 'Regexp' && $type eq 'REGEXP');
    return _unblessed($v, $type, $st, $depth);
}

sub _unblessed {
    my ($v, $type, $st, $depth) = @_;
    _nest($depth);
    return '[' . join(',', map { _out(\$_, $st, $depth + 1) } @$v) . ']' if $type eq 'ARRAY';
    return _hash($v, $st, $depth) if $type eq 'HASH';
    return _tag($depth, '$ref' => _out($v, $st, $depth + 1)) if $type eq 'SCALAR' || $type eq 'REF';
    return _tag($depth, '$code' => 'null') if $type eq 'CODE';
    if ($type eq 'REGEXP') {
        my ($pattern, $flags) = re::regexp_pattern($v);
        return _tag($depth, '$flags' => _string($flags, $depth + 1), '$regexp' => _string($pattern, $depth + 1));
    }
    die "cannot store a $type reference\n";
}

# Keys that are plain text go in the object; the rest in "$pairs", in its sorted place.
sub _hash {
    my ($h, $st, $depth) = @_;
    my (@plain, @odd);
    push @{ defined _text($_) && !/^\$/ ? \@plain : \@odd }, $_ for keys %$h;
    my @parts = map {
        $_ ne '$pairs'
          ? _string($_, $depth + 1) . ':' . _out(\$h->{$_}, $st, $depth + 1)
          : do { _nest($depth + 1); _nest($depth + 2);
                '"$pairs":[' . join(',', map { '[' . _string($_, $depth + 3) . ',' . _out(\$h->{$_}, $st, $depth + 3) . ']' } sort @odd) . ']' }
    } sort(@plain, @odd ? '$pairs' : ());
    return '{' . join(',', @parts) . '}';
}

# The text a plain JSON string stands for: bytes that are strict UTF-8, or ASCII.
sub _text {
    my ($s) = @_;
    return $s if $s !~ /[^\x00-\x7f]/;
    return undef if utf8::is_utf8($s);
    my $t = $s;
    return utf8::decode($t) && $t !~ $NOT_JSON ? $t : undef;
}

sub _string {
    my ($s, $depth) = @_;
    my $text = _text($s);
    return $JSON->encode($text) if defined $text;
    return _tag($depth, '$bytes' => $JSON->encode($s)) unless utf8::is_utf8($s);    # one character per byte
    die "a character string holds a surrogate or a code point above U+10FFFF\n" if $s =~ $NOT_JSON;
    return _tag($depth, '$chars' => $JSON->encode($s));
}

# Data::Dumper's notion of a number: a numeric value whose string form, if any, is its own text.
sub _scalar {
    my ($slot, $depth) = @_;
    return 'null' unless defined $$slot;
    my $sv    = B::svref_2object($slot);
    my $flags = $sv->FLAGS;
    my $pv    = $flags & B::SVf_POK ? $sv->PV : undef;
    if ($flags & B::SVf_IOK) {
        my $uv   = $flags & B::SVf_IVisUV;
        my $text = $uv ? sprintf("%u", $sv->UVX) : sprintf('%d', $sv->IV);
        return $uv && $sv->UVX > ~0 >> 1 ? _string($text, $depth) : $text if !defined $pv || $pv eq $text;
    }
    if ($flags & B::SVf_NOK) {
        my $nv = $sv->NV;
        return _float($nv, $depth) if !defined $pv || $pv eq "$nv";
    }
    return _string($$slot, $depth);
}

# The shortest digits that read back as the same double, always with a decimal point.
sub _float {
    my ($nv, $depth) = @_;
    return _tag($depth, '$float' => $nv != $nv ? '"NaN"' : $nv > 0 ? '"Inf"' : '"-Inf"') if $nv != $nv || $nv * 0 != 0;
    my ($mantissa, $exp);
    for my $p (0 .. 16) {
        ($mantissa, $exp) = sprintf('%.*e', $p, abs $nv) =~ /^([\d.]+)e([-+]\d+)\z/;
        last if scalar(POSIX::strtod("${mantissa}e$exp")) == abs $nv;
    }
    (my $d = $mantissa) =~ tr/.//d;
    $d =~ s/(?<=.)0+\z//;
    $exp += 0;
    my $sign = $nv < 0 || ($nv == 0 && sprintf('%g', $nv) =~ /^-/) ? '-' : '';
    return $sign . substr($d, 0, 1) . '.' . (substr($d, 1) || '0') . sprintf('e%s%02d', $exp < 0 ? '-' : '+', abs $exp)
      if $exp < -4 || $exp >= 16;
    return $sign . '0.' . ('0' x (-$exp - 1)) . $d if $exp < 0;
    return $sign . $d . ('0' x ($exp + 1 - length $d)) . '.0' if length $d <= $exp + 1;
    return $sign . substr($d, 0, $exp + 1) . '.' . substr($d, $exp + 1);
}

# ---------------------------------------------------------------- reading

sub _is_str { defined $_[0] && !ref $_[0] && B::svref_2object(\$_[0])->FLAGS & B::SVp_POK }

# $id: the id under which the reference this node makes is registered before it is
# filled, so that cycles come back as cycles.
sub _in {
    my ($n, $ids, $id) = @_;
    if (!ref $n || blessed $n) {
        die "only a reference can be shared\n" if defined $id;
        return $n ? 1 : 0 if JSON::PP::is_bool($n);
        return scalar POSIX::strtod($n->bstr) if blessed $n;    # Math::BigFloat, or BigInt beyond 20 digits
        return $n > ~0 >> 1 ? scalar POSIX::strtod("$n") : $n if !_is_str($n) && defined $n;    # Rust has no UV
        return $n if !defined $n;
        utf8::encode(my $s = $n);
        return $s;
    }
    if (ref $n eq 'ARRAY') {
        my @a;
        $ids->{$id} = \@a if defined $id;
        push @a, _in($_, $ids) for @$n;
        return \@a;
    }
    my $form = join ' ', my @tags = sort grep { /^\$/ } keys %$n;
    if ($form eq '' || $form eq '$pairs') {
        my %h;
        $ids->{$id} = \%h if defined $id;
        for my $k (sort keys %$n) {
            die "\"\$pairs\" must be an array of [key, value] pairs\n" if $k eq '$pairs' && ref $n->{$k} ne 'ARRAY';
            for my $kv ($k ne '$pairs' ? [ $k, $n->{$k} ] : @{ $n->{$k} }) {
                die "expected a [key, value] pair\n" unless ref $kv eq 'ARRAY' && @$kv == 2;
                my $key = _str($kv->[0]);
                die "hash key '$key' appears twice\n" if exists $h{$key};
                $h{$key} = _in($kv->[1], $ids);
            }
        }
        return \%h;
    }
    die "an object mixes the mapping's $form with other keys\n" if keys %$n != @tags;
    my $v = $n->{ $tags[-1] };
    if ($form eq '$ref') {
        my $target;
        $ids->{$id} = \$target if defined $id;
        $target = _in($v, $ids);
        return \$target;
    }
    if ($form eq '$bless $value') {
        die "\$bless needs a new reference\n" if ref $v eq 'HASH' && grep { exists $v->{$_} } '$id', '$same';
        my $r = _in($v, $ids, $id);
        die "\$bless needs an array, hash, \$ref, \$code or \$regexp\n" if !ref $r || blessed $r && reftype $r ne 'REGEXP';
        return bless $r, _str($n->{'$bless'});
    }
    if ($form eq '$id $value') {
        die "expected a non-negative integer id\n" if _is_str($n->{'$id'}) || ($n->{'$id'} // '') !~ /^\d+\z/;
        die "id $n->{'$id'} is defined twice\n" if exists $ids->{ $n->{'$id'} };
        die "a shared value must be new\n" if ref $v eq 'HASH' && grep { exists $v->{$_} } '$id', '$same';
        return _in($v, $ids, $n->{'$id'});
    }
    if ($form eq '$same') {
        die "only a reference can be shared\n" if defined $id;
        return exists $ids->{$v} ? $ids->{$v} : die "id $v is not defined before this point\n";
    }
    if ($form eq '$code') {
        die "\$code must be null\n" if defined $v;
        my $dummy = 'DUMMY';
        my $code = sub { $dummy };    # a closure: a new code ref each time, as Data::Dumper's thaw gives
        $ids->{$id} = $code if defined $id;
        return $code;
    }
    if ($form eq '$flags $regexp') {
        my ($pattern, $flags) = (_str($n->{'$regexp'}), $n->{'$flags'});
        die "bad regexp flags\n" unless _is_str($flags) && $flags =~ /^[a-z]*\z/;
        my $re = eval "qr/\$pattern/$flags" or die "bad regexp: $@";
        $ids->{$id} = $re if defined $id;
        return $re;
    }
    die "only a reference can be shared\n" if defined $id;
    return _str($n) if $form eq '$bytes' || $form eq '$chars';
    if ($form eq '$float') {
        die "\$float must be Inf, -Inf or NaN\n" unless _is_str($v) && $v =~ /^(?:-?Inf|NaN)\z/;
        return scalar POSIX::strtod($v);
    }
    die "unknown form $form (a hash key starting with \$ belongs in \"\$pairs\")\n";
}

# A string in its three forms: plain (UTF-8 bytes), {"$bytes": ...}, {"$chars": ...}.
sub _str {
    my ($n) = @_;
    return do { utf8::encode(my $s = $n); $s } if _is_str($n);
    my ($form, $s) = ref $n eq 'HASH' && keys %$n == 1 ? %$n : ('');
    die "expected a string\n" unless _is_str($s) && ($form eq '$bytes' || $form eq '$chars');
    return do { utf8::upgrade($s); $s } if $form eq '$chars';
    utf8::downgrade($s, 1) or die "a \$bytes string holds a character above U+00FF\n";
    return $s;
}

1;
