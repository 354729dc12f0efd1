//! The Perl side: one `perl` process per batch, running the oracle's own typed-JSON
//! code around CGI::Session::Serialize::yaml.

use cgi_session_serializers::Value;
use cgi_session_test_support::{oracle_has, perl, run_framed};
use serde_json::Value as Json;

use crate::typed::to_typed;

/// Loads the oracle's `to_typed`/`from_typed` (without running its command line) and
/// serves two requests, framed as `LENGTH\nBYTES`: `dump` (typed JSON in, YAML out)
/// and `thaw` (YAML in, `{"data": typed}` or `{"error": ...}` out).
const SCRIPT: &str = r#"
use strict;
use warnings;
use JSON::PP ();
use CGI::Session::Serialize::yaml;
$SIG{__WARN__} = sub {};
binmode STDIN;
binmode STDOUT;
BEGIN {
    my $path = $ENV{ORACLE_PL} or die "ORACLE_PL not set";
    open my $fh, '<', $path or die "$path: $!";
    my $src = do { local $/; <$fh> };
    $src =~ s/^exit main\(\@ARGV\);$//m or die "oracle.pl has no 'exit main(\@ARGV);' line";
    eval "$src; 1" or die $@;
}
my $json = JSON::PP->new->utf8->canonical->allow_nonref;
my $all = do { local $/; <STDIN> };
my @in;
while (length $all) {
    $all =~ s/\A(\d+)\n// or die "bad frame";
    push @in, substr($all, 0, $1, '');
}
my $op = shift @in;
for my $item (@in) {
    my $out;
    if ($op eq 'dump') {
        $out = CGI::Session::Serialize::yaml->freeze(from_typed($json->decode($item)));
    } else {
        my $data = eval { CGI::Session::Serialize::yaml->thaw($item) };
        $out = $json->encode($@ ? { error => "died: $@" } : { data => to_typed($data) });
    }
    print length($out), "\n", $out;
}
"#;

/// Whether the oracle can run; prints why not, or fails under `CGISESS_REQUIRE_ORACLE=1`.
pub fn oracle_available() -> bool {
    oracle_has(&["YAML::Syck", "JSON::PP", "CGI::Session::Serialize::yaml"])
}

fn run_perl(op: &str, items: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let oracle = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/oracle/oracle.pl");
    let input: Vec<Vec<u8>> = std::iter::once(op.as_bytes().to_vec())
        .chain(items)
        .collect();
    run_framed(perl(SCRIPT).env("ORACLE_PL", oracle), &input)
}

/// Perl's `Dump` of each value (built from its typed JSON).
pub fn perl_dump(values: &[Value]) -> Vec<Vec<u8>> {
    let items = values
        .iter()
        .map(|v| serde_json::to_vec(&to_typed(v)).unwrap())
        .collect();
    run_perl("dump", items)
}

/// Perl's thaw of each document: the typed JSON of the data, or Perl's error.
pub fn perl_thaw(docs: &[Vec<u8>]) -> Vec<Result<Json, String>> {
    run_perl("thaw", docs.to_vec())
        .into_iter()
        .map(|out| {
            let mut reply: Json = serde_json::from_slice(&out).expect("the script writes JSON");
            match reply.get("error") {
                Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
                None => Ok(reply["data"].take()),
            }
        })
        .collect()
}

/// Anchors renumbered in order of first appearance: Perl numbers them in its random
/// hash order.
pub fn renumbered(yaml: &[u8]) -> Vec<u8> {
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut out = Vec::with_capacity(yaml.len());
    let mut i = 0;
    while i < yaml.len() {
        let c = yaml[i];
        let starts = matches!(c, b'&' | b'*') && (i == 0 || matches!(yaml[i - 1], b' ' | b'\n'));
        let digits = yaml[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if starts && digits > 0 {
            let name = yaml[i + 1..i + 1 + digits].to_vec();
            let n = names.iter().position(|x| *x == name).unwrap_or_else(|| {
                names.push(name);
                names.len() - 1
            });
            out.push(c);
            out.extend_from_slice((n + 1).to_string().as_bytes());
            i += 1 + digits;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The typed JSON with the anchor names that `YAML::Syck::BadAlias` objects carry
/// blanked: Perl loses an anchor in `&1 &2` and keeps its number in the data, and
/// which number that is follows Perl's hash order.
pub fn without_anchor_names(typed: &Json) -> Json {
    match typed {
        Json::Object(map)
            if map.get("bless").and_then(Json::as_str) == Some("YAML::Syck::BadAlias") =>
        {
            let mut map = map.clone();
            map["value"]["hash"]["name"] = Json::Null;
            Json::Object(map)
        }
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), without_anchor_names(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(without_anchor_names).collect()),
        other => other.clone(),
    }
}
