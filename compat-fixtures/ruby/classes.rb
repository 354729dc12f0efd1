# The classes the Marshal fixtures hold (generate.rb), which any Ruby that loads the
# fixtures must define too (tests/oracle/marshal.rb).
Point = Struct.new(:x, :y)
class Thing
  def initialize(a, b)
    @a = a
    @b = b
  end
end
class Unsorted
  def initialize
    @b = 1
    @a = 2
  end
end
class Dumped
  def initialize(data) = @data = data
  def _dump(_level) = @data
  def self._load(data) = new(data)
end
class MDumped
  def initialize(data) = @data = data
  def marshal_dump = @data
  def marshal_load(data) = @data = data
end
module Ext; end
module Ext2; end
class MyString < String; end
class MyArray < Array; end
class MyHash < Hash; end

