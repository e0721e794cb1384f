# frozen_string_literal: true

module Stephost
  # One ctx call in flight: completed by the CtxReply of its call_id, or failed locally
  # (cancellation, lost stream). `value` waits for it and returns the decoded value or
  # raises StepError. The `*_async` ctx methods return it, so user code can start several
  # calls at once (Parallel) or not wait at all (the SDK still holds the result, W-INV-5).
  class Pending
    attr_reader :call_id, :invocation

    def initialize(call_id, invocation)
      @call_id = call_id
      @invocation = invocation
      @mutex = Mutex.new
      @cond = ConditionVariable.new
      @done = false
      @value = nil
      @error = nil
      @observed = false
    end

    # Returns true when this completed the call, false when it was already done (a late
    # reply after a local failure is ignored, W-CTX-6).
    def resolve(value: nil, error: nil)
      @mutex.synchronize do
        return false if @done

        @done = true
        @value = value
        @error = error
        @cond.broadcast
      end
      @invocation&.call_finished(self)
      true
    end

    def done?
      @mutex.synchronize { @done }
    end

    def error
      @mutex.synchronize { @error }
    end

    def observed?
      @observed
    end

    # Waits for the reply. Interruptible by a cancellation (Thread#raise).
    def value
      @observed = true
      @mutex.synchronize { @cond.wait(@mutex) until @done }
      raise @error if @error

      @value
    end
    alias wait value

    # A pending that failed before it was sent (W-CTX-3, W-CTX-4, W-CTX-7).
    def self.failed(error)
      pending = new(0, nil)
      pending.resolve(error: error)
      pending
    end
  end
end
