# frozen_string_literal: true

module Stephost
  PB = ::Stephost::V1

  # The error codes of docs/protocol.md §5, as constants so user code can branch on them.
  module Codes
    HANDLER_ERROR = "HANDLER_ERROR"
    CANCELLED = "CANCELLED"
    LOAD_ERROR = "LOAD_ERROR"
    CONFIG_MISSING = "CONFIG_MISSING"
    HANDLER_MISSING = "HANDLER_MISSING"
    INVALID_RESPONSE = "INVALID_RESPONSE"
    UNKNOWN_INVOCATION = "UNKNOWN_INVOCATION"
    EMIT_NOT_DECLARED = "EMIT_NOT_DECLARED"
    INVALID_EMIT_DATA = "INVALID_EMIT_DATA"
    STREAM_NOT_FOUND = "STREAM_NOT_FOUND"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    INTERNAL = "INTERNAL"
  end

  # What a failed ctx call raises in user code (W-CTX-5): the host's code, unchanged
  # (W-CODE-2), and its message. Uncaught, it becomes HANDLER_ERROR "CODE: message" (W-ERR-4).
  class StepError < StandardError
    attr_reader :code

    def initialize(code, message)
      @code = code.nil? || code.empty? ? Codes::INTERNAL : code
      super(message.to_s)
    end
  end

  # Raised into a handler's thread by Thread#raise when the host cancels the invocation.
  # It derives from Exception, not StandardError, so a plain `rescue => e` in user code does
  # not swallow the cancellation.
  class Cancelled < Exception # rubocop:disable Lint/InheritException
    def initialize(reason = "cancelled")
      super(reason)
    end
  end

  # An invocation the SDK refuses or cannot finish, with the code to answer (W-INV-6, W-API-*).
  class ResultError < StandardError
    attr_reader :code

    def initialize(code, message)
      @code = code
      super(message)
    end
  end

  # A file that cannot be loaded (W-FAIL-1).
  class FileLoadError < StandardError
    attr_reader :code, :cause_exception

    def initialize(code, message, cause_exception = nil)
      @code = code
      @cause_exception = cause_exception
      super(message)
    end
  end

  # Runs the block with Thread#raise(Cancelled) held back, so a cancellation never lands
  # in the middle of the SDK's own bookkeeping (a half-registered ctx call).
  def self.uninterruptible(&block)
    Thread.handle_interrupt(Cancelled => :never, &block)
  end

  # SDK diagnostics: one line on standard error, prefixed with the SDK's name (W-OUT-1).
  def self.diag(text)
    $stderr.write("[#{SDK_NAME}] #{text.to_s.gsub("\n", ' ')}\n")
  rescue StandardError
    nil
  end

  # The traceback of an exception without the SDK's own frames (W-ERR-2); the whole
  # traceback when nothing would be left.
  def self.format_stack(exc)
    frames = exc.backtrace || []
    user = frames.reject { |f| f.start_with?(SDK_DIR + "/") || f.include?("/gems/") || f.include?("/vendor_ruby/") }
    user = frames if user.empty?
    (["#{exc.class}: #{exc.message}"] + user.map { |f| "\tfrom #{f}" }).join("\n").scrub
  end

  def self.pb_error(code, message, exc = nil)
    PB::Error.new(
      code: code,
      message: message.to_s.dup.force_encoding(Encoding::UTF_8).scrub,
      stack: exc ? format_stack(exc) : "",
      name: exc ? exc.class.name.to_s : ""
    )
  end
end
