# The Ruby oracle: drives Ruby 3.1's own CGI::Session (FileStore or PStore) for
# tests/live_ruby_stores.rs, so that Rust's Ruby stores are judged by Ruby itself.
#
#   ruby ruby_session.rb COMMAND --store filestore|pstore --tmpdir DIR --id ID
#                        [--prefix P] [--suffix S] [--rounds N]
#
# Commands (data on stdin is a Ruby literal: a Hash of session keys to values):
#   write   create the session if missing, set every key of the stdin Hash, close
#           (Ruby's update: the record is written)                      prints ok
#   check   compare the stored session with the stdin Hash, key by key, by class,
#           encoding and value, recursively; keys not in the Hash are not looked at
#                                            prints ok, missing, or the differences
#   keys    the stored session's keys, sorted, one per line    (or prints missing)
#   delete  the session's delete                                 prints ok or missing
#   hammer  --rounds N times: open the existing session, check that its record is
#           whole (see whole_record), write writer/blob/round as Ruby, close
#           prints the number of rounds and of records another writer left, or fails
#
# A session that does not exist is never created by check, keys, delete or hammer:
# they pass new_session => false, under which CGI::Session raises for a missing one.
# check and keys do not write: the session's finalizer (which would `update`) is
# dropped.

require 'cgi'
require 'cgi/session'
require 'cgi/session/pstore'
require 'optparse'

opts = { rounds: 1 }
command = ARGV.shift
OptionParser.new do |o|
  o.on('--store NAME') { |v| opts[:store] = v }
  o.on('--tmpdir DIR') { |v| opts[:tmpdir] = v }
  o.on('--id ID') { |v| opts[:id] = v }
  o.on('--prefix P') { |v| opts[:prefix] = v }
  o.on('--suffix S') { |v| opts[:suffix] = v }
  o.on('--rounds N', Integer) { |v| opts[:rounds] = v }
end.parse!(ARGV)

def usage(message)
  warn "ruby_session.rb: #{message}"
  exit 2
end

usage('no --id') unless opts[:id]
usage('no --tmpdir') unless opts[:tmpdir]
manager = { 'filestore' => CGI::Session::FileStore, 'pstore' => CGI::Session::PStore }[opts[:store]]
usage("unknown --store #{opts[:store].inspect}") unless manager

# CGI::Session wants a request only for the id (given here) and to attach cookies.
REQUEST = Object.new

def open_session(opts, manager, create)
  option = {
    'session_id' => opts[:id],
    'new_session' => create,
    'tmpdir' => opts[:tmpdir],
    'database_manager' => manager,
    'no_hidden' => true,
    'no_cookies' => true,
  }
  option['prefix'] = opts[:prefix] if opts.key?(:prefix)
  option['suffix'] = opts[:suffix] if opts.key?(:suffix)
  CGI::Session.new(REQUEST, option)
rescue ArgumentError => e
  raise unless e.message.start_with?('invalid session_id')
  nil
end

# The session's whole data (CGI::Session has no public accessor for it).
def data_of(session)
  session[nil]
  session.instance_variable_get(:@data)
end

def read_only(session)
  ObjectSpace.undefine_finalizer(session)
  session
end

# A canonical text of a value that tells apart what == does not: classes, string
# encodings, symbol versus string, and hash defaults.
def canon(v)
  case v
  when String then "#{v.class}(#{v.encoding}:#{v.b.inspect})"
  when Symbol then "Symbol(#{v.to_s.encoding}:#{v.to_s.b.inspect})"
  when Array then "[#{v.map { |x| canon(x) }.join(', ')}]"
  when Hash
    pairs = v.map { |k, x| "#{canon(k)} => #{canon(x)}" }.join(', ')
    default = v.default.nil? ? '' : " default #{canon(v.default)}"
    "#{v.class}{#{pairs}}#{default}"
  else "#{v.class}(#{v.inspect})"
  end
end

# What every writer of the hammer leaves: writer "ruby" or "rust" (or none yet), and a
# blob of that writer's letter, of that writer's length.
BLOBS = { 'ruby' => 'r' * 3000, 'rust' => 's' * 5000 }.freeze

# Gives the writer.
def whole_record(data)
  writer = data['writer']
  return if writer.nil? && !data.key?('blob')
  blob = BLOBS[writer]
  raise "unknown writer #{writer.inspect}" unless blob
  raise "torn record: #{writer} with a blob of #{data['blob'].to_s.bytesize} bytes" unless data['blob'] == blob
  writer
end

case command
when 'write'
  values = eval($stdin.read) # test input, from the test itself
  session = open_session(opts, manager, true)
  values.each { |k, v| session[k] = v }
  session.close
  puts 'ok'
when 'check'
  want = eval($stdin.read)
  session = open_session(opts, manager, false)
  if session.nil?
    puts 'missing'
    exit
  end
  data = data_of(read_only(session))
  diffs = want.filter_map do |k, v|
    next if data.key?(k) && canon(data[k]) == canon(v)
    "#{k.inspect}: got #{data.key?(k) ? canon(data[k]) : 'no such key'}, want #{canon(v)}"
  end
  puts(diffs.empty? ? 'ok' : diffs)
when 'keys'
  session = open_session(opts, manager, false)
  if session.nil?
    puts 'missing'
    exit
  end
  puts data_of(read_only(session)).keys.sort
when 'delete'
  session = open_session(opts, manager, false)
  if session.nil?
    puts 'missing'
    exit
  end
  session.delete
  puts 'ok'
when 'hammer'
  others = 0
  opts[:rounds].times do |round|
    session = open_session(opts, manager, false)
    raise "round #{round}: the session is gone" if session.nil?
    others += 1 if whole_record(data_of(session)) == 'rust'
    session['writer'] = 'ruby'
    session['blob'] = BLOBS['ruby']
    session['round'] = round
    session.close
  end
  puts "#{opts[:rounds]} #{others}"
else
  usage("unknown command #{command.inspect}")
end
