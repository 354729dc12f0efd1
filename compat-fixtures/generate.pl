#!/usr/bin/perl
# Regenerates every fixture in compat-fixtures/ with Perl's CGI::Session 4.48:
#
#     perl compat-fixtures/generate.pl
#
# Each session is written through CGI::Session->new (file driver, default
# serializer, id:static) exactly as an application would, except for two things
# that make the bytes reproducible: hash keys are sorted ($Data::Dumper::Sortkeys,
# which the default serializer honours, spec §7.1) and the clock CGI::Session reads
# is fixed. What Perl reads back from each file is recorded beside it as typed JSON
# (tests/oracle/README.md), by the same oracle the live tests use.
use strict;
use warnings;

no warnings 'once';    # $Data::Dumper::Sortkeys is read by Data::Dumper only

our $NOW;    # the time CGI::Session sees; set per fixture
BEGIN { *CORE::GLOBAL::time = sub () { defined $NOW ? $NOW : CORE::time() } }

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use JSON::PP ();
# The json serializer is the crate's own Perl module, not part of CGI::Session 4.48.
use FindBin ();
use lib "$FindBin::Bin/../perl/lib";
use DB_File;
use Fcntl qw(O_RDONLY);

use CGI::Session;

# Far in the future, so fixtures never expire when a test loads them; still ten
# digits, so Data::Dumper writes the times as bare integers as it does today.
use constant FUTURE => 4102444800;    # 2100-01-01T00:00:00Z
use constant PAST   => 1000000000;    # 2001-09-09: anything with an expiry has expired

my $root   = dirname(abs_path(__FILE__));
my $oracle = abs_path("$root/../tests/oracle/oracle.pl");

$Data::Dumper::Sortkeys = 1;
$Storable::canonical    = 1;    # Storable's sorted hash keys; YAML::Syck and FreezeThaw sort anyway
delete $ENV{REMOTE_ADDR};
# Data::Dumper warns as it writes a code ref as `sub { "DUMMY" }`; that is expected here.
$SIG{__WARN__} = sub { warn @_ unless $_[0] =~ /^Encountered CODE ref/ };

# The classes of CGI::Session's own test suite (CGI::Session::Test::Default).
{
    package CGI::Session::Test::SimpleObjectClass;
    use Class::Struct;
    struct(name => '$', emails => '@', blogs => '%');

    package OverloadedClass;
    use overload '""' => sub { $_[0]->{str_value} }, 'eq' => sub { "$_[0]" eq $_[1] };
    sub new { bless { str_value => $_[1] }, $_[0] }
}

# ------------------------------------------------------------------ the sessions

my @default = (
    {   id          => 'fx_basic',
        remote_addr => '192.0.2.7',
        build       => sub {
            my $s = shift;
            $s->param(user => 'alice', cart => [ 1, 2 ], prefs => { lang => 'en' }, logged_in => 1);
            $s->expire('+2h');
            $s->expire(logged_in => '+30m');
        },
    },
    {   id    => 'fx_nested',
        build => sub {
            shift->param(
                tree   => { a => { b => { c => [ 1, [ 2, [ 3, { d => 'deep' } ] ] ] } } },
                rows   => [ { id => 1, tags => [ 'x', 'y' ] }, { id => 2, tags => [] } ],
                matrix => [ [ 1, 2 ], [ 3, 4 ] ],
            );
        },
    },
    {   id    => 'fx_strings',
        build => sub {
            shift->param(
                latin1       => "caf\xe9",
                utf8_bytes   => "caf\xc3\xa9",
                quotes       => q{it's "quoted"},
                backslashes  => 'back\\slash \\\\ two',
                trailing_bs  => 'ends with \\',
                newline      => "line1\nline2\n",
                cr_tab       => "a\rb\tc",
                nul          => "nul\0byte",
                del          => "del\x7f",
                sigils       => '$HOME @ARGV ${x} @{[ 1 ]} %h',
                code_like    => q{'; system('true'); '},
                empty        => '',
                space        => ' ',
                all_bytes    => join('', map { chr } 0 .. 255),
            );
        },
    },
    {   id    => 'fx_unicode',
        build => sub {
            my $upgraded = "caf\xe9";
            utf8::upgrade($upgraded);
            my $ascii_upgraded = "plain";
            utf8::upgrade($ascii_upgraded);
            shift->param(
                wide           => "\x{263a}",
                mixed          => "caf\x{e9} \x{263a}",
                upgraded       => $upgraded,
                ascii_upgraded => $ascii_upgraded,
                wide_escapes   => "\x{263a} \$x \@y \"q\" \\ 'single' \n",
                astral         => "\x{1f600}",
                cjk            => "\x{65e5}\x{672c}\x{8a9e}",
                list           => [ "\x{263a}", "caf\xe9" ],
            );
        },
    },
    {   id    => 'fx_keys',
        build => sub {
            my $upgraded_key = "na\xefve";
            utf8::upgrade($upgraded_key);
            shift->param(
                keys => {
                    "\x{263a}"    => 'wide key',
                    "caf\xe9"     => 'latin-1 key',
                    $upgraded_key => 'upgraded key',
                    '10'          => 'numeric key',
                    ''            => 'empty key',
                    '-x'          => 'dash key',
                    "it's"        => 'quote key',
                    'a\\b'        => 'backslash key',
                    "new\nline"   => 'newline key',
                    '$x'          => 'sigil key',
                },
            );
        },
    },
    {   id    => 'fx_numbers',
        build => sub {
            my $numified = '3600';
            my $float_str = '3.50';
            { no warnings; my $x = $numified + 0; $x = $float_str + 0; }
            shift->param(
                int          => 42,
                negative     => -5,
                zero         => 0,
                ten_digits   => 9999999999,
                neg_ten      => -999999999,
                big          => 12345678901,
                neg_big      => -1234567890,
                uv_max       => 18446744073709551615,
                float        => 3.25,
                float_big    => 1e20,
                float_small  => 0.1,
                float_sum    => 0.1 + 0.2,
                float_whole  => 1e3,
                inf          => 9**9**9,
                neg_inf      => -9**9**9,
                str_007      => '007',
                str_10       => '10',
                str_plus     => '+5',
                str_neg_zero => '-0',
                str_3600     => '3600',
                str_space    => ' 42',
                str_exp      => '1e3',
                str_hex      => '0x10',
                numified     => $numified,
                numified_f   => $float_str,
                true         => !!1,
                false        => !!0,
            );
        },
    },
    {   id    => 'fx_empty',
        build => sub {
            shift->param(
                undef       => undef,
                empty       => '',
                hash        => {},
                array       => [],
                undefs      => [ undef, undef ],
                undef_value => { k => undef },
                ref_undef   => \undef,
            );
        },
    },
    {   id    => 'fx_objects',
        build => sub {
            my $s = shift;
            my $o = 'scalar body';
            $s->param(
                hash_obj   => bless({ name => 'h', list => [ 1, 2 ] }, 'My::Hash'),
                array_obj  => bless([ 1, 'two', undef ], 'My::Array'),
                scalar_obj => bless(\$o, 'My::Scalar'),
                empty_obj  => bless({}, 'My::Empty'),
                nested_obj => bless({ inner => bless([ bless({}, 'My::Leaf') ], 'My::Array') }, 'My::Outer'),
                in_array   => [ bless({ n => 1 }, 'My::Hash') ],
            );
            # CGI::Session::Test::Default, block SIX.
            my $simple = CGI::Session::Test::SimpleObjectClass->new;
            $simple->name("Sherzod Ruzmetov");
            $simple->emails(0, 'sherzodr@cpan.org');
            $simple->emails(1, 'sherzodr@cpan.org');
            $simple->blogs('lost+found', 'http://author.cpan.org/');
            $simple->blogs('yigitlik', 'http://author.cpan.org/uz/');
            my $embedded = OverloadedClass->new("Embedded");
            $s->param(simple_object => $simple);
            $s->param(overloaded_object => OverloadedClass->new("ABCDEFG"));
            $s->param(embedded_simple_and_overloaded => [ undef, $simple, $embedded, $embedded ]);
        },
    },
    {   id    => 'fx_shared',
        build => sub {
            my $array  = [ 1, 2 ];
            my $hash   = { k => 'v' };
            my $object = bless({ n => 1 }, 'My::Shared');
            my $scalar = 'target';
            my $ref    = \$scalar;
            shift->param(
                array_twice  => [ $array, $array ],
                hash_a       => $hash,
                hash_b       => $hash,
                object_twice => [ $object, $object ],
                object_key   => $object,
                nested       => { x => $array, y => [ $array ] },
                scalar_refs  => [ $ref, $ref ],
                ref_to_ref   => [ \$ref, \$ref ],
            );
        },
    },
    {   id    => 'fx_refs',
        build => sub {
            shift->param(
                str_ref     => \'str',
                int_ref     => \42,
                undef_ref   => \undef,
                ref_ref     => \\'x',
                deep_ref    => \\\'deep',
                array_ref   => \[ 1, 2 ],
                hash_ref    => \{ a => 1 },
                object_ref  => \bless({}, 'My::Hash'),
            );
        },
    },
    {   id    => 'fx_code_regexp',
        build => sub {
            shift->param(
                code    => sub { 1 },
                regexp  => qr/ab+c/i,
                anchors => qr/^\d+$/,
                slash   => qr{a/b},
                blessed => bless(qr/x/, 'My::Regexp'),
            );
        },
    },
    {   id    => 'fx_expire_list',
        build => sub {
            my $s = shift;
            $s->param(a => 1, b => 2, c => 3, d => 4);
            $s->expire(a => '+10m');
            $s->expire(b => 60);
            $s->expire(c => '3600');
            $s->expire(d => '1h');
            $s->expire(d => 0);    # deletes d's entry again
        },
    },
    {   id    => 'fx_expire_list_empty',
        build => sub { my $s = shift; $s->param(x => 1); $s->expire(x => 0) },    # autovivifies {}
    },
    {   id    => 'fx_etime_string',
        build => sub { shift->expire('3600') },    # stored as the string '3600'
    },
    {   id    => 'fx_etime_plus',
        build => sub { shift->expire('+1h') },     # stored as the number 3600
    },
    {   id    => 'fx_etime_signed',
        build => sub { shift->expire('+3600') },   # stored as the string '+3600'
    },
    {   id    => 'fx_etime_cancel',
        build => sub { my $s = shift; $s->expire('1h'); $s->expire(0) },    # ETIME undef
    },
    {   id    => 'fx_expired',
        now   => PAST,
        build => sub { my $s = shift; $s->param(gone => 1); $s->expire('+1h') },
    },
    {   id    => 'fx_param_expired',
        now   => PAST,
        build => sub {
            my $s = shift;
            $s->param(secret => 'x', kept => 'y');
            $s->expire(secret => '+1m');
        },
    },
);

# The serializers besides `default` that get a fixture set, and the sessions only
# they have: item types the shared sessions above do not reach.
my @SERIALIZERS = qw(storable freezethaw yaml json);
my %extra = (
    storable => [
        # Restricted hashes (SX_FLAG_HASH with the restricted flag): locked keys with a
        # placeholder for an allowed but absent key, locked values; character keys,
        # wide (UTF-8 flag) and upgraded Latin-1 (stored downgraded, "was UTF-8").
        {   id    => 'fx_st_hashes',
            build => sub {
                require Hash::Util;
                my %keys = (a => 1, b => 2);
                Hash::Util::lock_ref_keys(\%keys, qw(a b c));
                my %locked = (x => 'fixed');
                Hash::Util::lock_hashref(\%locked);
                my $upgraded = "na\xefve";
                utf8::upgrade($upgraded);
                shift->param(
                    restricted => \%keys,
                    locked     => \%locked,
                    utf8_keys  => { "\x{263a}" => 'wide', $upgraded => 'upgraded', "caf\xe9" => 'bytes', plain => 1 },
                );
            },
        },
        # Every scalar form: SX_BYTE at its limits, SX_INTEGER beyond, a UV above
        # IV_MAX (a string), doubles, integral doubles (stored as integers), long
        # strings (4-byte lengths) of bytes, characters and binary, \undef, holes.
        {   id    => 'fx_st_scalars',
            build => sub {
                my @holes;
                $holes[3] = 'end';
                shift->param(
                    bytes_edges => [ -128, 127, -129, 128, 0, -1 ],
                    integers    => [ 9223372036854775807, -9223372036854775808, -4102444800, 65536 ],
                    uv_max      => 18446744073709551615,
                    doubles     => [ 0.5, -2.25, 1e300, -1e-300, 2**53, 9**9**9, -9**9**9 ],
                    whole       => [ 3.0, -0.0, 1e15 ],
                    long_bytes  => 'x' x 300,
                    long_utf8   => "\x{263a}" x 100,
                    long_binary => join('', map { chr($_ % 256) } 0 .. 299),
                    nul         => "\0",
                    undef_ref   => \undef,
                    holes       => \@holes,
                );
            },
        },
        # Objects: a class named again by index (SX_IX_BLESS), a blessed scalar and
        # array, a regexp, a reblessed regexp, a pattern longer than 255 bytes.
        {   id    => 'fx_st_objects',
            build => sub {
                my $body = 'body';
                shift->param(
                    same_class => [ bless({ n => 1 }, 'My::Item'), bless({ n => 2 }, 'My::Item'), bless([], 'My::List'), bless({ n => 3 }, 'My::Item') ],
                    scalar_obj => bless(\$body, 'My::Scalar'),
                    regexp     => qr/ab+c/i,
                    blessed_re => bless(qr/x y/x, 'My::Regexp'),
                    long_re    => qr/${\ ('a' x 300)}/,
                );
            },
        },
        # Sharing Storable writes as back-references (SX_OBJECT): the same array, hash,
        # object and scalar ref from several places, a weakened copy (SX_WEAKREF), and
        # a v-string (SX_VSTRING).
        {   id    => 'fx_st_shared',
            build => sub {
                require Scalar::Util;
                my $array  = [ 1, 2 ];
                my $object = bless({ k => 'v' }, 'My::Shared');
                my $text   = 'target';
                my $weak   = { to => $array };
                Scalar::Util::weaken($weak->{to});
                shift->param(
                    array   => $array,
                    again   => [ $array, $object, \$text ],
                    object  => $object,
                    refs    => [ \$text, \\$text ],
                    weak    => $weak,
                    vstring => v1.2.3,
                );
            },
        },
    ],
    freezethaw => [
        # Repeated references (the `!N|` prelude): placeholders `%0|`, `@0|`, `\_` and
        # `{>ID|...` for objects, contents with `}`; a content that refers to an object
        # written after it; classes first numbered in the prelude and reused (`)ID|`).
        {   id    => 'fx_ft_repeats',
            build => sub {
                my $leaf   = bless({ n => 1 }, 'My::Leaf');
                my $list   = bless([ $leaf, undef, 'x' ], 'My::List');
                my $box    = bless(\(my $b = $list), 'My::Box');
                my $inner  = [ 1, undef ];
                my $outer  = { inner => $inner, '' => undef };
                my $target = 'shared target';
                my $ref    = \$target;
                shift->param(
                    boxes    => [ $box, $box, $list ],
                    leaves   => { a => $leaf, b => $leaf, c => bless({}, 'My::Leaf') },
                    list     => $list,
                    outer    => [ $outer, $inner, $outer ],
                    refs     => [ $ref, \$ref, \$ref, $ref ],
                    new_leaf => bless({ n => 2 }, 'My::Leaf'),
                );
            },
        },
        # Blessed things of every kind, nested, and several classes met once each.
        {   id    => 'fx_ft_classes',
            build => sub {
                my $s = 'blessed scalar';
                shift->param(
                    hash     => bless({ k => bless([ bless({}, 'C::Three') ], 'C::Two') }, 'C::One'),
                    array    => bless([ bless(\(my $x = 1), 'C::Scalar'), undef ], 'C::Two'),
                    ref_ref  => bless(\\'deep', 'C::Ref'),
                    scalar   => bless(\$s, 'C::Scalar'),
                    latin1   => bless({}, "C::Caf\xe9"),
                    to_obj   => \bless([], 'C::One'),
                );
            },
        },
        # Regexps, written as Perl stringifies them (`(?^i:ab+c)`) and read back as
        # `qr/(?^i:ab+c)/`; a blessed one loses its class. Each appears once: FreezeThaw
        # loses the pattern of a repeated regexp.
        {   id    => 'fx_ft_regexps',
            build => sub {
                my $upgraded = "caf\xe9";
                utf8::upgrade($upgraded);
                my $latin1 = "caf\xe9";
                shift->param(
                    plain    => qr/ab+c/i,
                    anchors  => qr/^\d+|$/,
                    slash    => qr{a/b},
                    flags    => qr/x y/msixxn,
                    keepcopy => qr/p/p,
                    latin1   => qr/$latin1/,
                    upgraded => qr/$upgraded/,
                    blessed  => bless(qr/z/, 'My::Regexp'),
                );
            },
        },
        # Strings that look like the format, bytes vs upgraded characters (Perl's file
        # driver stores an upgraded string without wide characters as Latin-1), keys too.
        {   id    => 'fx_ft_strings',
            build => sub {
                my %up = map { my $v = $_; utf8::upgrade($v); ($_ => $v) } "caf\xe9", 'plain', "\xff|\x80", '';
                my $upgraded_key = "na\xefve";
                utf8::upgrade($upgraded_key);
                shift->param(
                    pipes      => [ '|', '1|2', '$3|abc', '@1|', '%2|', '<0|', '>>0|', '_', '\\', '' ],
                    digits     => [ '0', '00', '12', '-1', '3.0' ],
                    latin1     => "caf\xe9",
                    utf8_bytes => "caf\xc3\xa9",
                    upgraded   => [ @up{ "caf\xe9", 'plain', "\xff|\x80", '' } ],
                    keys       => { "caf\xe9" => 1, $upgraded_key => 2, 'a|b' => 3, '$1|x' => 4, '' => 5, '10' => 6, '9' => 7 },
                    undefs     => { u => undef, list => [ undef, [ undef ], { v => undef } ] },
                );
            },
        },
        # Every kind of number FreezeThaw writes as a string.
        {   id    => 'fx_ft_numbers',
            build => sub {
                my $negzero = -1e-300 * 1e-300;
                shift->param(
                    ints    => [ 0, 1, -1, 9223372036854775807, -9223372036854775808, 18446744073709551615 ],
                    floats  => [ 3.25, -0.5, 1e20, 1e-5, 1 / 3, 0.1 + 0.2, 1e15, 1e16, $negzero ],
                    special => [ 9**9**9, -9**9**9, -sin(9**9**9) ],
                    strings => [ '007', '+5', '1e3', ' 42', '0x10', '0 but true' ],
                );
            },
        },
    ],
    yaml       => [
        # Scalars YAML::Syck quotes, or leaves plain, by its own rules (spec §7.4).
        {   id    => 'fx_yaml_quoting',
            build => sub {
                my $upgraded = "caf\xe9";
                utf8::upgrade($upgraded);
                shift->param(
                    implicit   => [ qw(yes no Yes NO true False on OFF y n ~ null Null nULL), "yes\xe9" ],
                    numeric    => [ '1e3', '0x1F', '007', '-0', '+5', '.5', '5.', '12 ', ' 12', "12\n", 'Inf', 'nan',
                                    '123456789', '1234567890', '-12345678', '0 but true', '- ' ],
                    numbers    => [ 42, -7, 123456789, 1234567890, 3.25, 1e20, -0.5 ],
                    indicators => [ '-', ':', '?', ',', '- a', ': a', 'a:', 'a: b', 'a:b', ':bar', '-a', '?a', '#a',
                                    'a #b', 'a#b', "a\t#b", '[a', 'a]', '{a', 'a}', '!a', '&a', '*a', '|a', '>a',
                                    '%a', '@a', '`a', '^a', '=', '<<', '---', '--- a', '...', "it's", q{say "hi"},
                                    q{'q'}, '\\' ],
                    spaces     => [ ' lead', 'trail ', "\ttab", "a\tb", '', ' ' ],
                    lines      => [ "a\nb", "a\n", "a\n\n", "\n", "a\n b", "a\rb", "x\r", "a,\r", "a\n---" ],
                    controls   => [ "nul\0byte", "\x01\x1b\x7f", "bell\a" ],
                    bytes      => [ "caf\xe9", "caf\xc3\xa9", "\xff\xfe", "caf\xe9\n" ],
                    chars      => [ "\x{263a}", "\x{263a}\n\x{1}", $upgraded, "caf\x{e9} \x{263a}" ],
                    long       => join(' ', ('word') x 40),
                    keys       => { map { $_ => 1 } 'yes', '~', '', ' x', 'a: b', '1e3', '10', "new\nline", "caf\xe9",
                                    "\x{263a}", '--- x', '?a', '=' },
                    empty_hash   => {},
                    empty_array  => [],
                    nested_empty => [ [], {}, [ [] ], { a => {} } ],
                );
            },
        },
        # Perl's tags, anchors and references (spec §7.4).
        {   id    => 'fx_yaml_tags',
            build => sub {
                my $s    = 'shared target';
                my $r    = \$s;
                my $list = [ 1, 2 ];
                my $obj  = bless { n => 1 }, 'My::Obj';
                my $flag = 'yes';
                my $body = 'scalar body';
                shift->param(
                    blessed_hash   => bless({ a => [1] }, 'My::Hash'),
                    blessed_array  => bless([ 'x', undef ], 'My::Array'),
                    blessed_scalar => bless(\$body, 'My::Scalar'),
                    blessed_undef  => bless(\(my $u), 'My::Scalar'),
                    blessed_flag   => bless(\$flag, 'My::Flag'),    # Syck drops this tag: Perl reads 'yes'
                    blessed_ref    => bless(\$list, 'My::Ref'),
                    nested_blessed => bless({ inner => bless([ bless({}, 'My::Leaf') ], 'My::Array') }, 'My::Outer'),
                    refs           => [ \'str', \42, \undef, \\'x', \[1], \{ k => 'v' }, \$obj ],
                    shared         => [ $list, $list, $obj, $obj, $r, $r, \$r, \$r ],
                    regexps        => [ qr/ab+c/i, qr/a: b/, qr/ #x/, qr/x/msix, bless(qr/y/, 'My::Regexp') ],
                    code           => sub { 1 },
                );
            },
        },
    ],
    json       => [
        # User data that looks like the mapping's own: hash keys that are its tags,
        # keys sorting before and after "$pairs" with shared values on both sides
        # (ids are numbered in key order), integral floats beyond 1e16, big integers.
        {   id    => 'fx_json_tags',
            build => sub {
                my ($one, $two) = ([1], { two => 2 });
                shift->param(
                    tag_keys => { '$bless' => 'B', '$value' => 'V', '$pairs' => [], '$id' => 1, '$same' => 1, '$' => '' },
                    around   => { '!' => [ $one, $two ], '$x' => $one, 'z' => $two },
                    floats   => [ 1e16, 1.5e17, -1e-7, 2**53, 123456789.125 ],
                    ints     => [ 9223372036854775807, -9223372036854775808, 18446744073709551615 ],
                    tag_text => '{"$bless":"x"}',
                );
            },
        },
    ],
);

# Perl reads these; a Value cannot hold a cycle, so Rust must refuse them clearly.
my @cyclic = (
    {   id    => 'fx_cycle_self',
        build => sub { my $s = shift; $s->param(self => $s->dataref) },
    },
    {   id    => 'fx_cycle_array',
        build => sub { my $a = [1]; push @$a, $a; shift->param(loop => $a) },
    },
);

# CGI::Session 3.x wrote `$D = {...};` without the trailing `;$D`; 4.48 still reads it.
my $legacy = <<'PERL';
$D = {'_SESSION_ID' => 'fx_legacy3','_SESSION_CTIME' => 1000000000,'_SESSION_ATIME' => 4102444800,'_SESSION_REMOTE_ADDR' => '10.0.0.1','name' => 'legacy','list' => [1,'two',undef]};
PERL
chomp $legacy;
my %legacy = (fx_legacy3 => $legacy);

# ------------------------------------------------------------------ writing

write_set('default', 'file-default', \@default, \%legacy);
write_set('default', 'file-default-cyclic', \@cyclic, {});
write_incr('incr');
# Every other serializer stores the same sessions, plus what only it can carry.
# A session the serializer cannot write (Storable refuses code refs) or that Perl
# cannot read back (FreezeThaw and wide characters, spec §7.3) is left out, and the
# reason printed: those are the serializer's limits, tested apart.
for my $serializer (@SERIALIZERS) {
    write_set($serializer, "file-$serializer", [ @default, @{ $extra{$serializer} || [] } ], {});
}
write_db_file($_) for qw(default storable);
write_sqlite($_) for qw(default storable);
print "fixtures written under $root\n";

sub write_set {
    my ($serializer, $set, $sessions, $raw) = @_;
    my $dir = clean_dir($set);
    for my $fx (@$sessions) {
        local $NOW = $fx->{now} // FUTURE;
        local $ENV{REMOTE_ADDR} = $fx->{remote_addr} if $fx->{remote_addr};
        my $written = eval {
            my $s = CGI::Session->new("driver:file;serializer:$serializer;id:static", $fx->{id}, { Directory => $dir })
              or die CGI::Session->errstr;
            $fx->{build}->($s);
            $s->flush or die "flush: " . $s->errstr;
            write_expected($serializer, $dir, $fx->{id});
            1;
        };
        next if $written;
        die "$set/$fx->{id}: $@" if $serializer eq 'default';
        (my $why = $@) =~ s/\n.*//s;
        print "left out $set/$fx->{id}: $why\n";
        unlink "$dir/cgisess_$fx->{id}";
    }
    for my $id (sort keys %$raw) {
        write_file("$dir/cgisess_$id", $raw->{$id});
        write_expected($serializer, $dir, $id);
    }
}

# The db_file driver (spec §5.3): some of the sessions above, plus a record large
# enough for Berkeley DB overflow pages, in one database per serializer, at
# db_file/<serializer>/cgisess.db (FileName only: the directory comes from it). The
# database's meta page holds a file id made from the inode and the time, so unlike
# the other fixtures these files change on every run; the records do not.
sub write_db_file {
    my ($serializer) = @_;
    my $dir = clean_dir("db_file/$serializer");
    my $db  = "$dir/cgisess.db";
    unlink $db, "$db.lck";
    my %fx = map { $_->{id} => $_ } @default;
    my @sessions = (
        @fx{qw(fx_basic fx_nested fx_strings fx_unicode fx_numbers fx_empty fx_objects fx_expire_list)},
        { id => 'fx_big', build => sub { shift->param(blob => ('0123456789abcdef' x 600) . join('', map { chr } 0 .. 255)) } },
    );
    for my $fx (@sessions) {
        local $NOW = FUTURE;
        local $ENV{REMOTE_ADDR} = $fx->{remote_addr} if $fx->{remote_addr};
        my $s = CGI::Session->new("driver:db_file;serializer:$serializer;id:static", $fx->{id}, { FileName => $db })
          or die CGI::Session->errstr;
        $fx->{build}->($s);
        $s->flush or die "flush: " . $s->errstr;
        # The oracle thaws a file: give it the record as DB_File holds it.
        tie my %h, 'DB_File', $db, O_RDONLY, 0 or die "$db: $!";
        write_file("$dir/record.tmp", $h{ $fx->{id} });
        untie %h;
        write_expected($serializer, $dir, $fx->{id}, "$dir/record.tmp");
    }
    unlink "$dir/record.tmp", "$db.lck";
}

# The sqlite driver (spec §5.7): the same sessions as db_file, in the table
# `sessions` of sqlite/<serializer>/sessions.db, created with the schema Perl's own
# tests use (TEXT for default, BLOB for storable; Perl binds records as BLOBs
# either way).
sub write_sqlite {
    my ($serializer) = @_;
    require DBI;
    my $dir = clean_dir("sqlite/$serializer");
    my $db  = "$dir/sessions.db";
    unlink $db;
    my $type = $serializer eq 'storable' ? 'BLOB NOT NULL' : 'TEXT NULL';
    my $dbh = DBI->connect("dbi:SQLite:dbname=$db", '', '', { RaiseError => 1, PrintError => 0 });
    $dbh->do("CREATE TABLE sessions (id CHAR(32) NOT NULL PRIMARY KEY, a_session $type)");
    my %fx = map { $_->{id} => $_ } @default;
    for my $fx (@fx{qw(fx_basic fx_nested fx_strings fx_unicode fx_numbers fx_empty fx_objects fx_expire_list)}) {
        local $NOW = FUTURE;
        local $ENV{REMOTE_ADDR} = $fx->{remote_addr} if $fx->{remote_addr};
        my $s = CGI::Session->new("driver:sqlite;serializer:$serializer;id:static", $fx->{id}, { Handle => $dbh })
          or die CGI::Session->errstr;
        $fx->{build}->($s);
        $s->flush or die "flush: " . $s->errstr;
        my ($record) = $dbh->selectrow_array('SELECT a_session FROM sessions WHERE id = ?', undef, $fx->{id});
        write_file("$dir/record.tmp", $record);
        write_expected($serializer, $dir, $fx->{id}, "$dir/record.tmp");
    }
    $dbh->disconnect;
    unlink "$dir/record.tmp";
}

# The incr generator with IDInit 1000 and IDIncr 2: ids 1002, 1004, 1006, and an
# IDFile holding "1006" (spec §6.2).
sub write_incr {
    my ($set) = @_;
    my $dir = clean_dir($set);
    unlink "$dir/cgisess.id";
    my %args = (Directory => $dir, IDFile => "$dir/cgisess.id", IDInit => 1000, IDIncr => 2);
    for my $n (1 .. 3) {
        local $NOW = FUTURE;
        my $s = CGI::Session->new('driver:file;serializer:default;id:incr', undef, \%args)
          or die CGI::Session->errstr;
        $s->param(n => $n);
        $s->flush or die "flush: " . $s->errstr;
        write_expected('default', $dir, $s->id);
    }
}

sub clean_dir {
    my ($set) = @_;
    my $dir = "$root/$set";
    make_path("$dir/expected");
    unlink glob("$dir/cgisess_*"), glob("$dir/expected/*.json");
    return $dir;
}

# What Perl's thaw gives, from a fresh oracle process per file: the default
# serializer's Safe compartment names (Safe::Root0::...) then do not depend on order.
sub write_expected {
    my ($serializer, $dir, $id, $record) = @_;
    $record //= "$dir/cgisess_$id";
    open my $out, '-|', $^X, $oracle, 'thaw', '--serializer', $serializer, $record
      or die "run oracle: $!";
    my $result = JSON::PP->new->utf8->decode(do { local $/; <$out> });
    close $out or die "oracle failed on $id\n";
    die "Perl cannot read back $id: $result->{error}\n" if exists $result->{error};
    my $json = JSON::PP->new->utf8->canonical->ascii->pretty->space_before(0)->indent_length(2);
    write_file("$dir/expected/$id.json", $json->encode($result->{data}));
}

sub write_file {
    my ($path, $bytes) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh or die "$path: $!";
}
