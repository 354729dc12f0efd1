# The Ruby side of tests/live_ruby_marshal.rs: Ruby 3.1's Marshal, CGI.escape and
# CGI::Session stores as the judge of what Rust writes. Reads items framed as
# `LENGTH\nBYTES` on stdin and writes framed items on stdout:
#
#   ruby marshal.rb redump      each item: Marshal.dump(Marshal.load(item))
#   ruby marshal.rb same        items in pairs: "1" if Ruby loads both as equal data, else "0"
#   ruby marshal.rb escape      each item: CGI.escape(item), then CGI.unescape(item)
#   ruby marshal.rb filestore   each item a FileStore file: what CGI::Session reads from
#                               it and writes back (restore, then update)
#   ruby marshal.rb pstore      likewise for a CGI::Session::PStore file
require 'cgi'
require 'cgi/session'
require 'cgi/session/pstore'
require 'tmpdir'
require 'digest/md5'
require_relative '../../compat-fixtures/ruby/classes'

def read_items(input)
  items = []
  until input.eof?
    len = Integer(input.gets)
    items << (len.zero? ? ''.b : input.read(len))
  end
  items
end

def frame(bytes) = "#{bytes.bytesize}\n".b + bytes.b

# The modules `extend` added to x.
def extensions(x)
  x.singleton_class.ancestors.drop(1)
rescue TypeError # immediates have no singleton class
  []
end

# Equal as data: same classes, strings equal with compatible encodings, floats equal
# or both NaN, objects by their instance variables.
def same?(a, b)
  return false unless a.class == b.class && extensions(a) == extensions(b)

  case a
  when Float then a.eql?(b) || (a.nan? && b.nan?)
  when String then a == b && (a.encoding == b.encoding || (a.ascii_only? && b.ascii_only?))
  when Array then a.size == b.size && a.zip(b).all? { |x, y| same?(x, y) }
  when Hash
    a.size == b.size && same?(a.default, b.default) &&
      a.all? { |k, v| b.key?(k) && same?(k, b.assoc(k)[0]) && same?(v, b[k]) }
  when Struct then same?(a.to_a, b.to_a)
  when Regexp then a.source == b.source && (a.options & 7) == (b.options & 7) # i, x, m: the encoding bits are not kept
  when Symbol, Integer, NilClass, TrueClass, FalseClass, Module then a == b
  else
    a.instance_variables.sort == b.instance_variables.sort &&
      a.instance_variables.all? { |iv| same?(a.instance_variable_get(iv), b.instance_variable_get(iv)) }
  end
end

# What CGI::Session reads from a store file and writes back, through the real store.
def through_store(bytes, manager)
  ENV['REQUEST_METHOD'] = 'GET'
  ENV['QUERY_STRING'] = ''
  Dir.mktmpdir do |dir|
    digest = Digest::MD5.hexdigest('live')[0, 16]
    path = File.join(dir, manager == CGI::Session::FileStore ? "cgi_sid_#{digest}" : digest)
    File.binwrite(path, bytes)
    File.binwrite("#{path}.lock", '') # FileStore reads under a lock on it
    session = CGI::Session.new(CGI.new, 'session_id' => 'live', 'tmpdir' => dir,
                                        'new_session' => false, 'database_manager' => manager)
    session['probe'] # restores
    session.update
    File.binread(path)
  end
end

items = read_items($stdin.binmode)
out = $stdout.binmode
case ARGV[0]
when 'redump' then items.each { |item| out.write(frame(Marshal.dump(Marshal.load(item)))) }
when 'same'
  items.each_slice(2) { |a, b| out.write(frame(same?(Marshal.load(a), Marshal.load(b)) ? '1' : '0')) }
when 'escape'
  items.each do |item|
    out.write(frame(CGI.escape(item)))
    out.write(frame(CGI.unescape(item).b))
  end
when 'filestore' then items.each { |item| out.write(frame(through_store(item, CGI::Session::FileStore))) }
when 'pstore' then items.each { |item| out.write(frame(through_store(item, CGI::Session::PStore))) }
else abort "usage: marshal.rb redump|same|escape|filestore|pstore"
end
