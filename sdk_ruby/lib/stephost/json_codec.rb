# frozen_string_literal: true

require "json"

module Stephost
  # JSON both ways, as the protocol wants it (§10): UTF-8 text, compact, no NaN/Infinity,
  # an empty field read as null.
  module JsonCodec
    module_function

    # Raises JSON::ParserError (or EncodingError) on bad input; callers map it to a code.
    def decode(bytes)
      return nil if bytes.nil? || bytes.empty?

      text = bytes.dup.force_encoding(Encoding::UTF_8)
      raise JSON::ParserError, "JSON field is not valid UTF-8" unless text.valid_encoding?

      JSON.parse(text, quirks_mode: true)
    end

    # Returns binary bytes; raises JSON::GeneratorError (NaN, invalid UTF-8, ...) or
    # JSON::NestingError (cycles; both are JSON::JSONError) for what JSON cannot hold. Symbols become strings, other
    # objects go through their to_json / to_s, as Ruby's JSON normally does (W-JSON-6).
    def encode(value)
      JSON.generate(value, allow_nan: false, max_nesting: 1000).b
    end

    # Like encode, but never raises: for logs (W-LOG-4), whose values JSON cannot hold are
    # turned into text one by one, so the rest of the record stays structured.
    def encode_lenient(value)
      encode(lenient(value, {}, 0))
    rescue StandardError, SystemStackError
      encode(value.inspect.scrub)
    end

    LENIENT_DEPTH = 64 # past it a value is cut to its inspect: a log line, not a serialiser

    # `value` with cycles as "[Circular]", keys as strings, non-finite floats as their text,
    # strings made valid UTF-8, and any other object as JSON would write it alone, else its
    # inspect. `open` holds the containers being walked (a cycle is one met again inside itself).
    def lenient(value, open, depth)
      case value
      when nil, true, false, Integer then value
      when Float then value.finite? ? value : value.to_s
      when String then value.encoding == Encoding::UTF_8 && value.valid_encoding? ? value : value.dup.force_encoding(Encoding::UTF_8).scrub
      when Symbol then value.to_s
      when Hash, Array
        return "[Circular]" if open.key?(value.object_id)
        return value.inspect.scrub if depth >= LENIENT_DEPTH

        open[value.object_id] = true
        begin
          if value.is_a?(Hash)
            value.each_with_object({}) { |(k, v), out| out[lenient(k.to_s, open, depth)] = lenient(v, open, depth + 1) }
          else
            value.map { |v| lenient(v, open, depth + 1) }
          end
        ensure
          open.delete(value.object_id)
        end
      else
        begin
          JSON.parse(encode(value), quirks_mode: true)
        rescue StandardError, SystemStackError
          value.inspect.scrub
        end
      end
    end

    # Hash keys as strings, all the way down: configs and responses may use symbols.
    def stringify_keys(value)
      case value
      when Hash then value.each_with_object({}) { |(k, v), h| h[k.is_a?(Symbol) ? k.to_s : k.to_s] = stringify_keys(v) }
      when Array then value.map { |v| stringify_keys(v) }
      else value
      end
    end
  end
end
