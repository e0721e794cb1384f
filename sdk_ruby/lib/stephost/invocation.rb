# frozen_string_literal: true

module Stephost
  # One run of user code, from Invoke to its one InvocationResult (W-INV-1). It runs on a
  # Thread of its own so the reader never waits for user code (W-INV-2).
  #
  # Cancellation (§3.9) is Thread#raise(Cancelled): it interrupts Kernel#sleep, waits on
  # ctx replies and (at the VM's next check) busy Ruby loops. The SDK's own code runs with
  # that exception held back (Thread.handle_interrupt), and user code runs with it
  # delivered at once, so it only ever lands in user code.
  class Invocation
    attr_reader :id, :worker

    def initialize(worker, file, invoke, payload)
      @worker = worker
      @file = file
      @invoke = invoke
      @id = invoke.invocation_id
      @trigger = invoke.trigger # a Symbol for known values (google-protobuf)
      @payload = payload
      @mutex = Mutex.new
      @cond = ConditionVariable.new
      @phase = :pending # :pending -> :user -> :after -> :done
      @cancelled = nil  # the Cancel's reason once cancelled
      @outstanding = []
      @thread = nil
    end

    def start
      @thread = Thread.new do
        Thread.current.report_on_exception = false
        begin
          Thread.handle_interrupt(Cancelled => :never) { finish(outcome) }
        rescue Cancelled
          nil # a Cancel that crossed the end of user code: already answered
        end
      end
    end

    def cancelled?
      @mutex.synchronize { !@cancelled.nil? }
    end

    # W-CANCEL-1/3: stop user code, fail its waiting calls locally; unknown or repeated
    # cancels are no-ops. The answer (CANCELLED) is sent by the invocation's own thread
    # once user code has stopped (W-CANCEL-2).
    def cancel(reason)
      waiting = nil
      @mutex.synchronize do
        return if @cancelled || @phase == :done

        @cancelled = reason.to_s.empty? ? "cancelled" : reason.to_s
        waiting = @outstanding.dup
        @thread&.raise(Cancelled.new(@cancelled)) if @phase == :user
      end
      waiting.each do |pending|
        @worker.forget_call(pending.call_id)
        pending.resolve(error: StepError.new(Codes::CANCELLED, "the invocation was cancelled (#{@cancelled})"))
      end
    end

    # W-CANCEL-6: at the drain deadline, user code that ignored its cancellation is answered
    # CANCELLED now; the worker exits right after, and that is what ends it.
    def abandon
      @mutex.synchronize do
        return if @phase == :done

        @phase = :done
      end
      @worker.send_result(@id, error: Stephost.pb_error(Codes::CANCELLED, "the drain deadline passed; the handler ends with the worker"))
    end

    # Sends one CtxCall for this invocation and returns its Pending (W-CTX-1 to W-CTX-4).
    def start_call(kind, **args)
      op = build_op(kind, **args)
      Stephost.uninterruptible do
        @mutex.synchronize do
          if @cancelled || @phase == :done
            return Pending.failed(StepError.new(Codes::CANCELLED, "the invocation was cancelled or has ended; no ctx call is sent"))
          end
          return Pending.failed(StepError.new(Codes::INTERNAL, "the stream to the host is gone")) if @worker.stream_lost?

          call_id = @worker.next_call_id
          msg = PB::WorkerMessage.new(call: PB::CtxCall.new(call_id: call_id, invocation_id: @id, kind => op))
          size = PB::WorkerMessage.encode(msg).bytesize
          if size > @worker.max_bytes
            return local_failure("the ctx call is #{size} bytes, over the #{@worker.max_bytes} byte message limit")
          end

          pending = Pending.new(call_id, self)
          @outstanding << pending
          @worker.register_call(pending)
          @worker.push(msg)
          pending
        end
      end
    rescue JSON::JSONError, EncodingError, SystemStackError, TypeError, ArgumentError => e # JSONError: Generator and Nesting
      local_failure("the value cannot be sent as JSON: #{e.message}")
    end

    def local_failure(message)
      Pending.failed(StepError.new(Codes::INVALID_ARGUMENT, message))
    end

    def call_finished(pending)
      @mutex.synchronize do
        @outstanding.delete(pending)
        @cond.broadcast
      end
    end

    private

    def build_op(kind, **a)
      case kind
      when :emit
        PB::EmitCall.new(topic: a[:topic], data_json: JsonCodec.encode(a[:data]), message_group_id: a[:message_group_id])
      when :state
        PB::StateCall.new(op: a[:op], group: a[:group], key: a[:key], value_json: a[:with_value] ? JsonCodec.encode(a[:value]) : "")
      when :stream
        PB::StreamCall.new(op: a[:op], stream: a[:stream], group_id: a[:group_id], id: a[:id],
                           data_json: a[:with_data] ? JsonCodec.encode(a[:data]) : "")
      end
    end

    # Runs user code and maps what it did to the fields of an InvocationResult.
    def outcome
      @mutex.synchronize do
        # W-CANCEL-4: cancelled before user code started.
        return { error: Stephost.pb_error(Codes::CANCELLED, @cancelled) } if @cancelled

        @phase = :user
      end
      value = nil
      begin
        value = Thread.handle_interrupt(Cancelled => :immediate) { run_user_code }
      rescue Cancelled
        nil
      rescue StepError => e # W-ERR-4
        return handler_error("#{e.code}: #{e.message}", e, "StepError") unless cancelled?
      rescue ResultError => e
        return { error: Stephost.pb_error(e.code, e.message) } unless cancelled?
      rescue Exception => e # rubocop:disable Lint/RescueException -- user code may raise anything (W-ERR-1)
        return handler_error(e.message.to_s.empty? ? e.class.name : e.message, e, e.class.name) unless cancelled?
      ensure
        @mutex.synchronize { @phase = :after }
      end
      return { error: Stephost.pb_error(Codes::CANCELLED, @mutex.synchronize { @cancelled }) } if cancelled?

      map_value(value)
    rescue ResultError => e
      { error: Stephost.pb_error(e.code, e.message) }
    rescue StandardError => e # W-ERR-6: a fault of the SDK fails this invocation only
      { error: Stephost.pb_error(Codes::INTERNAL, "stephost-ruby: #{e.class}: #{e.message}", e) }
    end

    def handler_error(message, exc, name)
      err = Stephost.pb_error(Codes::HANDLER_ERROR, message, exc)
      err.name = name.to_s
      { error: err }
    end

    def run_user_code
      case @trigger
      when :TRIGGER_KIND_API then run_api
      when :TRIGGER_KIND_EVENT then @file.handler_method.call(@payload, context)
      when :TRIGGER_KIND_CRON then @file.handler_method.call(context)
      when :TRIGGER_KIND_CAN_ACCESS then run_can_access
      end
    end

    def context
      @context ||= Context.new(self, @invoke, @worker.stream_names)
    end

    # W-API-1: the five keys with their defaults; middleware in order, each (req, ctx, next).
    def run_api
      payload = @payload.is_a?(Hash) ? @payload : {}
      req = Hash.new { |h, k| k.is_a?(Symbol) && h.key?(k.to_s) ? h[k.to_s] : nil }
      req.merge!("body" => nil, "headers" => {}, "pathParams" => {}, "queryParams" => {}, "rawBody" => "")
      req.merge!(payload)
      ctx = context
      chain = lambda do |i|
        if i < @file.middleware.size
          @file.middleware[i].call(req, ctx, -> { chain.call(i + 1) })
        else
          @file.handler_method.call(req, ctx)
        end
      end
      chain.call(0)
    end

    def run_can_access
      access = @file.can_access
      return true if access.nil?

      payload = @payload.is_a?(Hash) ? @payload : {}
      access.call(payload["subscription"], payload["authContext"]) ? true : false
    end

    def map_value(value)
      case @trigger
      when :TRIGGER_KIND_API then { ok: PB::Ok.new(response: value.nil? ? nil : Response.build(value)) }
      when :TRIGGER_KIND_CAN_ACCESS then { ok: PB::Ok.new(value_json: JsonCodec.encode(value)) }
      else { ok: PB::Ok.new } # W-EVENT-1, W-CRON-1: whatever the handler returned
      end
    end

    # Waits for every ctx call this invocation sent (W-INV-5), then answers.
    def finish(result)
      @mutex.synchronize do
        @cond.wait(@mutex) until @outstanding.empty?
        return if @phase == :done # abandoned at the drain deadline: answered already

        @phase = :done
      end
      @worker.send_result(@id, result)
    end
  end

  # W-API-2 to W-API-5: the handler's Hash as an ApiResponse, or ResultError(INVALID_RESPONSE).
  module Response
    module_function

    def build(value)
      value = value.to_h if !value.is_a?(Hash) && value.respond_to?(:to_h) && !value.is_a?(Array)
      invalid("an api handler must return a Hash {status:, headers:, body:}, got #{value.class}") unless value.is_a?(Hash)
      res = value.to_h { |k, v| [k.to_s, v] }
      response = PB::ApiResponse.new(status: status(res["status"]))
      headers(res["headers"]).each { |name, v| response.headers << PB::Header.new(name: name, value: v) }
      kind, bytes = body(res)
      response.body_kind = kind
      response.body = bytes
      response
    end

    def status(value)
      return 200 if value.nil?
      return value if value.is_a?(Integer) && value.between?(100, 599)

      invalid("status must be an integer from 100 to 599, got #{value.inspect}")
    end

    def headers(value)
      return [] if value.nil?

      pairs = value.is_a?(Hash) ? value.to_a : value
      invalid("headers must be a Hash, got #{value.class}") unless pairs.is_a?(Array)
      pairs.flat_map do |pair|
        invalid("headers must be a Hash or a list of [name, value] pairs") unless pair.is_a?(Array) && pair.size == 2
        name, v = pair
        (v.is_a?(Array) ? v : [v]).compact.map { |one| [text(name, "header name"), text(one, "header #{name}")] }
      end
    end

    def text(value, what)
      case value
      when String, Symbol, Numeric, true, false
        s = value.to_s.dup
        s.force_encoding(Encoding::UTF_8) if s.encoding == Encoding::BINARY
        s = s.encode(Encoding::UTF_8)
        invalid("#{what} is not valid UTF-8") unless s.valid_encoding?
        s
      else invalid("#{what} cannot be made text: #{value.class}")
      end
    rescue EncodingError
      invalid("#{what} cannot be made UTF-8 text")
    end

    def body(res)
      return [PB::BodyKind::BODY_KIND_EMPTY, "".b] unless res.key?("body")

      body = res["body"]
      if body.is_a?(String) && body.encoding == Encoding::BINARY
        [PB::BodyKind::BODY_KIND_BYTES, body.b]
      elsif body.is_a?(String)
        utf8 = body.encode(Encoding::UTF_8)
        invalid("the string body is not valid UTF-8 (use a binary String for bytes)") unless utf8.valid_encoding?
        [PB::BodyKind::BODY_KIND_TEXT, utf8.b]
      else
        [PB::BodyKind::BODY_KIND_JSON, JsonCodec.encode(body)]
      end
    rescue JSON::JSONError, EncodingError, SystemStackError, TypeError => e # JSONError: Generator and Nesting
      invalid("the body cannot be serialised to JSON: #{e.message}")
    end

    def invalid(message)
      raise ResultError.new(Codes::INVALID_RESPONSE, message)
    end
  end
end
