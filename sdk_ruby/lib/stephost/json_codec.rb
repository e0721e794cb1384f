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
    # SystemStackError (cycles) for what JSON cannot hold. Symbols become strings, other
    # objects go through their to_json / to_s, as Ruby's JSON normally does (W-JSON-6).
    def encode(value)
      JSON.generate(value, allow_nan: false, max_nesting: 1000).b
    end

    # Like encode, but never raises: for logs (W-LOG-4), whose values are turned into text.
    def encode_lenient(value)
      encode(value)
    rescue StandardError, SystemStackError
      encode(value.inspect.scrub)
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
