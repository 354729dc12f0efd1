# Regenerates compat-fixtures/ruby/ (see compat-fixtures/README.md, "ruby/"):
#   marshal/<name>.bin    Marshal.dump of one value, by Ruby itself
#   marshal/<name>.json   what Rust's marshal::load must give, as typed JSON
#                         (tests/oracle/README.md), computed here from the Ruby value
#                         by the mapping of serializers/src/marshal/mod.rs
#   filestore/<id>, pstore/<id>   session files CGI::Session's FileStore and PStore wrote
#   filestore/<id>.json, pstore/<id>.json   the record Rust's thaw must give
#
#   ruby compat-fixtures/ruby/generate.rb
#
# Deterministic: a second run changes no byte.
require 'json'
require 'fileutils'
require 'tmpdir'
require 'digest/md5'
require 'cgi'
require 'cgi/session'
require 'cgi/session/pstore'

HERE = File.expand_path(__dir__)

require_relative 'classes'

# ---------------------------------------------------------------- typed JSON, by the mapping
def latin1(bytes) = bytes.bytes.pack('U*')

def float_text(f)
  return 'NaN' if f.nan?
  return (f > 0 ? 'Inf' : '-Inf') if f.infinite?
  return (1 / f < 0 ? '-0' : '0') if f.zero?
  [15, 16].each { |d| t = format("%.#{d}g", f); return t if t.to_f == f }
  format('%.17g', f)
end

def bless(klass, value) = { 'bless' => klass, 'value' => value }
def record(klass, fields) = bless(klass, { 'hash' => fields })
def str(bytes) = { 'str' => latin1(bytes) }

# A String's typed form, or nil for one that is a Ruby::String (its `Ruby::String` form then).
def plain_string(s)
  case s.encoding
  when Encoding::BINARY then str(s)
  when Encoding::UTF_8
    return str(s) if s.ascii_only?
    return { 'utf8' => s } if s.valid_encoding?
    nil
  when Encoding::US_ASCII then s.ascii_only? ? str(s) : nil
  end
end

def typed_string(s)
  plain_string(s) || record('Ruby::String', 'encoding' => str(s.encoding.name), 'bytes' => str(s.b))
end

# Names (symbols, classes, ivars): a UTF-8 name that is not ASCII is a character string.
def name_of(n)
  s = n.to_s
  s.encoding == Encoding::UTF_8 && !s.ascii_only? ? { 'utf8' => s } : str(s)
end

# The modules `extend` added, most recent first (Ruby writes them in that order).
def extended_modules(v)
  return [] if v.is_a?(Module) || v.frozen?

  v.singleton_class.ancestors.take_while { |m| m != v.class }.reject { |m| m == v.singleton_class }
end

def typed(v)
  mods = extended_modules(v)
  unless mods.empty?
    plain = v.dup # dup drops the singleton class and so the extensions
    return record('Ruby::Extended', 'modules' => { 'array' => mods.map { |m| str(m.name) } },
                                    'value' => typed(plain))
  end
  case v
  when nil then nil
  when true, false then bless('JSON::PP::Boolean', { 'ref' => { 'int' => v ? 1 : 0 } })
  when Integer
    v.bit_length < 64 ? { 'int' => v } : bless('Ruby::Integer', { 'ref' => str(v.to_s) })
  when Float then { 'num' => float_text(v) }
  when Symbol then bless('Ruby::Symbol', { 'ref' => name_of(v) })
  when Class then bless('Ruby::Class', { 'ref' => str(v.name) })
  when Module then bless('Ruby::Module', { 'ref' => str(v.name) })
  when Struct
    record('Ruby::Struct', 'class' => name_of(v.class.name),
                           'members' => { 'array' => v.each_pair.map { |k, x| { 'array' => [name_of(k), typed(x)] } } })
  when Dumped then record('Ruby::UserDump', 'class' => str('Dumped'), 'data' => typed_string(v._dump(-1)))
  when MDumped then record('Ruby::UserMarshal', 'class' => str('MDumped'), 'data' => typed(v.marshal_dump))
  when String, Array, Hash, Regexp
    base = { String => String, Array => Array, Hash => Hash, Regexp => Regexp }.find { |k, _| v.is_a?(k) }[0]
    if v.class != base
      plain = base == Hash ? Hash[v] : base.new(v)
      return record('Ruby::UserClass', 'class' => name_of(v.class.name), 'value' => typed(plain))
    end
    case v
    when String then typed_string(v)
    when Array then { 'array' => v.map { |x| typed(x) } }
    when Hash then typed_hash(v)
    when Regexp then typed_regexp(v)
    end
  else
    ivars = v.instance_variables.to_h { |iv| [iv.to_s, typed(v.instance_variable_get(iv))] }
    record('Ruby::Object', 'class' => name_of(v.class.name), 'ivars' => { 'hash' => ivars })
  end
end

def typed_hash(h)
  keys = h.keys.map { |k| k.is_a?(String) && plain_string(k) }
  texts = keys.map { |k| k && (k['str'] || k['utf8']) }
  if h.default.nil? && keys.all? && texts.uniq.size == texts.size
    out = { 'hash' => h.each_value.zip(texts).to_h { |x, t| [t, typed(x)] } }
    flagged = keys.select { |k| k['utf8'] && k['utf8'].each_char.all? { |c| c.ord <= 0xFF } }.map { |k| k['utf8'] }
    out['utf8_keys'] = flagged unless flagged.empty?
    return out
  end
  fields = { 'pairs' => { 'array' => h.map { |k, x| { 'array' => [typed(k), typed(x)] } } } }
  fields['default'] = typed(h.default) unless h.default.nil?
  record('Ruby::Hash', fields)
end

def typed_regexp(r)
  flags = +''
  flags << 's' if r.options & Regexp::MULTILINE != 0
  flags << 'i' if r.options & Regexp::IGNORECASE != 0
  flags << 'x' if r.options & Regexp::EXTENDED != 0
  src = r.source
  pattern = src.encoding == Encoding::UTF_8 && !src.ascii_only? ? src : latin1(src.b)
  { 'regexp' => pattern, 'flags' => flags }
end

# ---------------------------------------------------------------- the values
# name => [value, how Rust's rewrite differs from Ruby's bytes (nil: it does not)]
ORDER_LOST = 'Rust writes hash keys and instance variables in sorted order'
ASCII_UTF8 = 'Rust writes an ASCII-only string as UTF-8'
STRING_LINK = 'a String reached twice reads as two equal strings, written twice'
HEAP_FLOAT = 'a Float outside the flonum range reached twice reads as two floats'
REGEXP_N = 'Regexp option n (no encoding) is not kept'
REGEXP_U = 'a fixed UTF-8 encoding of an ASCII Regexp source (`\\u00e9`, /u) is not kept'

def fixture_values
  v = {}
  [0, 1, -1, 122, 123, -123, -124, 255, 256, -256, -257, 65_535, 65_536, 2**30 - 1, 2**30,
   -2**30, -2**30 - 1, 2**31, -2**31, 2**32, 2**62, -2**62, 2**63 - 1, -2**63, 2**63, -2**63 - 1,
   2**64, -2**64, 2**100, -(3**70)].each do |i|
    v["int_#{i < 0 ? 'm' : ''}#{i.abs}"] = [i, nil]
  end
  { 'zero' => 0.0, 'neg_zero' => -0.0, 'tenth' => 0.1, '1e20' => 1e20, '1e-5' => 1e-5,
    'inf' => Float::INFINITY, 'neg_inf' => -Float::INFINITY, 'nan' => Float::NAN,
    'third' => 1.0 / 3, '123' => 123.0, 'denormal' => 2.5e-320, '1_5' => 1.5, '1e16' => 1e16,
    '1e15' => 1e15, '1e-4' => 0.0001, 'decimal' => 12_345_678.9, '1e300' => 1e300,
    'neg_small' => -1.5e-7, 'min' => 5e-324, 'max' => Float::MAX }.each do |n, f|
    v["float_#{n}"] = [f, nil]
  end
  v['nil'] = [nil, nil]
  v['true'] = [true, nil]
  v['false'] = [false, nil]
  v['str_utf8_ascii'] = ['abc', nil]
  v['str_utf8'] = ["caf\u00e9 \u263a \u{1f600}", nil]
  v['str_empty'] = ['', nil]
  v['str_binary_ascii'] = ['abc'.b, ASCII_UTF8]
  v['str_binary'] = ["caf\xE9\x00\xFF".b, nil]
  v['str_us_ascii'] = ['abc'.encode('US-ASCII'), ASCII_UTF8]
  v['str_sjis'] = ["\u65e5\u672c".encode('Shift_JIS'), nil]
  v['str_sjis_ascii'] = ['abc'.encode('Shift_JIS'), nil]
  v['str_eucjp'] = ["\u65e5\u672c".encode('EUC-JP'), nil]
  v['str_eucjp_ascii'] = ['abc'.encode('EUC-JP'), nil]
  v['str_utf8_invalid'] = ["a\xFFb".dup.force_encoding('UTF-8'), nil]
  v['str_controls'] = ["\x00\n\r\t\"'\\", nil]
  v['str_long'] = ['x' * 300, nil]
  v['str_two_encodings'] = [["\u65e5".encode('Shift_JIS'), "\u672c".encode('Shift_JIS'), 'x'.encode('EUC-JP')], nil]
  v['sym'] = [:a, nil]
  v['sym_repeated'] = [%i[a a b a b], nil]
  v['sym_utf8'] = [:"caf\u00e9", nil]
  v['sym_utf8_repeated'] = [[:"\u00e9", :"\u00e9", 'x'], nil]
  v['sym_many'] = [(0...130).map { |i| :"s#{i}" } + %i[s0 s129], nil]
  v['array_empty'] = [[], nil]
  v['array_nested'] = [[1, [2, [3, []]], 'x'], nil]
  v['array_long'] = [(0...200).to_a, nil]
  v['array_deep'] = [(1..40).reduce([]) { |a, _| [a] }, nil]
  v['hash_empty'] = [{}, nil]
  v['hash_strings'] = [{ 'a' => 1, 'b' => [1, 2], 'c' => { 'd' => nil } }, nil]
  v['hash_unsorted'] = [{ 'b' => 1, 'a' => 2 }, ORDER_LOST]
  v['hash_utf8_key'] = [{ "caf\u00e9" => 1, "\u263a" => 2 }, nil]
  v['hash_symbol_keys'] = [{ a: 1, b: 'x' }, nil]
  v['hash_int_keys'] = [{ 1 => 2, 3 => [4] }, nil]
  v['hash_mixed_keys'] = [{ 'a' => 1, b: 2 }, nil]
  v['hash_colliding_keys'] = [{ "\xE9".b => 1, "\u00e9" => 2 }, nil]
  v['hash_sjis_key'] = [{ 'k'.encode('Shift_JIS') => 1 }, nil]
  v['hash_default'] = [Hash.new(5).merge!('a' => 1), nil]
  v['hash_default_empty'] = [Hash.new('none'), nil]
  v['session'] = [{ 'cart' => [1, 2], 'n' => 1.5, 'prefs' => { 'lang' => 'en' }, 'user' => 'alice' }, nil]
  shared = [1, 2]
  v['shared_array'] = [[shared, shared, [shared]], nil]
  inner = { 'k' => 'v' }
  v['shared_hash'] = [{ 'x' => inner, 'y' => inner }, nil]
  s = 'shared'
  v['shared_string'] = [[s, s], STRING_LINK]
  v['shared_flonum'] = [[1.5, 1.5, 0.1, 1.5], nil]
  big = 1e300
  v['shared_heap_float'] = [[big, big], HEAP_FLOAT]
  obj = Thing.new(1, 'x')
  v['shared_object'] = [[obj, { 'o' => obj }], nil]
  v['struct'] = [Point.new(1, 'a'), nil]
  v['struct_nested'] = [[Point.new(Point.new(nil, :x), [1.5]), Point.new(2, 3)], nil]
  v['object'] = [Thing.new(1, 'x'), nil]
  v['object_nested'] = [Thing.new(Thing.new(nil, []), { 'k' => :v }), nil]
  v['object_unsorted_ivars'] = [Unsorted.new, ORDER_LOST]
  v['user_dump'] = [Dumped.new('payload'), nil]
  v['user_dump_binary'] = [Dumped.new("\x00\xFF".b), nil]
  v['user_dump_sjis'] = [[Dumped.new("\u65e5".encode('Shift_JIS')), "\u672c".encode('Shift_JIS')], nil]
  v['user_marshal'] = [MDumped.new([1, 'x', :s]), nil]
  v['extended_object'] = [Thing.new(1, 2).extend(Ext), nil]
  v['extended_twice'] = [Thing.new(1, 2).extend(Ext).extend(Ext2), nil]
  v['extended_string'] = ['text'.dup.extend(Ext), nil]
  v['extended_regexp'] = [Regexp.new('a.b', Regexp::IGNORECASE).extend(Ext), nil]
  v['extended_string_subclass'] = [MyString.new('abc').extend(Ext), nil]
  v['string_subclass'] = [MyString.new('abc'), nil]
  v['array_subclass'] = [MyArray.new([1, 2]), nil]
  v['hash_subclass'] = [MyHash[{ 'a' => 1 }], nil]
  v['classes'] = [[String, Comparable, Point, String, Ext, Comparable], nil]
  v['regexp'] = [/ab+c/i, nil]
  v['regexp_options'] = [/a b # c/mx, nil]
  v['regexp_utf8'] = [Regexp.new("caf\u00e9 \u263a"), nil]
  v['regexp_escape_u'] = [/caf\u00e9/, REGEXP_U]
  v['regexp_n'] = [/ab/n, REGEXP_N]
  v
end

def write(path, bytes)
  FileUtils.mkdir_p(File.dirname(path))
  File.binwrite(path, bytes)
end

def json(value) = JSON.pretty_generate(value, max_nesting: false) + "\n"

dir = File.join(HERE, 'marshal')
FileUtils.rm_rf(dir)
fixture_values.each do |name, (value, lossy)|
  bytes = Marshal.dump(value)
  expected = { 'value' => typed(value) }
  expected['rewrite'] = lossy if lossy
  write(File.join(dir, "#{name}.bin"), bytes)
  write(File.join(dir, "#{name}.json"), json(expected))
end

# ---------------------------------------------------------------- session files
ENV['REQUEST_METHOD'] = 'GET'
ENV['QUERY_STRING'] = ''
SESSIONS = {
  'fx_basic' => { 'user' => 'alice', 'cart' => [1, 2], 'prefs' => { 'lang' => 'en' } },
  'fx_strings' => { "key with space=and%" => "value\nwith\r\nlines", "caf\u00e9" => "\u263a",
                    'bin' => "\x00\xFF".b, 'empty' => '' },
  'fx_types' => { 'n' => 42, 'big' => 2**70, 'f' => 0.1, 'nil' => nil, 't' => true, 'sym' => :s,
                  'h' => { a: 1 }, 'point' => Point.new(1, 2), 'time' => Thing.new(1, 'x') },
  'fx_empty' => {}
}
%w[filestore pstore].each do |kind|
  out = File.join(HERE, kind)
  FileUtils.rm_rf(out)
  SESSIONS.each do |id, data|
    Dir.mktmpdir do |tmp|
      manager = kind == 'filestore' ? CGI::Session::FileStore : CGI::Session::PStore
      session = CGI::Session.new(CGI.new, 'session_id' => id, 'tmpdir' => tmp, 'database_manager' => manager)
      data.each { |k, x| session[k] = x }
      session.close
      digest = Digest::MD5.hexdigest(id)[0, 16]
      file = kind == 'filestore' ? "cgi_sid_#{digest}" : digest
      write(File.join(out, id), File.binread(File.join(tmp, file)))
      # What Ruby reads back is the record: FileStore's keys are read as byte strings.
      back = kind == 'filestore' ? data.transform_keys(&:b) : data
      write(File.join(out, "#{id}.json"), json({ 'value' => typed(back) }))
    end
  end
end
