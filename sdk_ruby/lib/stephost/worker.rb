# frozen_string_literal: true

require "grpc"

module Stephost
  # The worker: one file, one stream, one reader thread (§1, §2, §6 to §8).
  #
  # Threads: the main thread only waits for an exit code (so signals are handled
  # promptly); grpc-ruby's own thread writes the Outbox; one reader thread reads host
  # messages and dispatches them without ever waiting for user code; each invocation
  # runs on its own thread; a drain runs on its own thread.
  class Worker
    ENV_VARS = %w[STEPHOST_SOCKET STEPHOST_WORKER_ID STEPHOST_WORKER_SECRET STEPHOST_STEP_FILE STEPHOST_PROJECT_ROOT].freeze
    CHANNEL_LIMIT = 64 * 1024 * 1024 # W-CONN-3
    LOG_LIMIT = 1024 * 1024 # H-SIZE-2
    CONNECT_TIMEOUT_S = 10.0 # W-CONN-4
    DRAIN_MARGIN_S = 0.25 # W-DRAIN-2

    attr_reader :stream_names

    def initialize(env)
      @socket, @worker_id, @secret, @file_path, @project_root = ENV_VARS.map { |k| env[k] }
      @outbox = Outbox.new
      @exit_codes = Queue.new
      @mutex = Mutex.new
      @invocations = {} # invocation_id -> Invocation, while in flight
      @calls = {}       # call_id -> Pending, while waiting for its CtxReply
      @next_call_id = 0
      @max_bytes = CHANNEL_LIMIT
      @stream_names = []
      @welcomed = false
      @draining = false
      @drained = false
      @stream_lost = false
    end

    # Returns the process exit code (W-EXIT-2).
    def run
      file, failure = load_file
      channel = connect
      return 3 unless channel

      if file
        @file = file
        @outbox.push(PB::WorkerMessage.new(hello: hello(file)))
      else
        # W-FAIL-3: nothing after the LoadFailure; half-close and give the host 5 s to end the stream.
        @outbox.push(PB::WorkerMessage.new(load_failure: PB::LoadFailure.new(worker_id: @worker_id, error: failure)))
        @outbox.close
        Thread.new { sleep 5; @exit_codes << 1 }
      end
      start_reader(channel, failure ? 1 : nil)
      @exit_codes.pop
    end

    # ------------------------------------------------------------------ used by invocations

    def max_bytes = @max_bytes
    def stream_lost? = @stream_lost

    def push(msg, urgent: false)
      @outbox.push(msg, urgent: urgent)
    end

    def next_call_id
      @mutex.synchronize { @next_call_id += 1 } # W-CTX-2: a counter from 1, unique on the stream
    end

    def register_call(pending)
      @mutex.synchronize { @calls[pending.call_id] = pending }
    end

    def forget_call(call_id)
      @mutex.synchronize { @calls.delete(call_id) }
    end

    # W-SIZE-2: a result over the limit is replaced by INVALID_RESPONSE.
    def send_result(invocation_id, outcome)
      msg = PB::WorkerMessage.new(result: PB::InvocationResult.new(invocation_id: invocation_id, **outcome))
      size = PB::WorkerMessage.encode(msg).bytesize
      if size > @max_bytes
        err = Stephost.pb_error(Codes::INVALID_RESPONSE, "the result is #{size} bytes, over the #{@max_bytes} byte message limit")
        msg = PB::WorkerMessage.new(result: PB::InvocationResult.new(invocation_id: invocation_id, error: err))
      end
      push(msg)
    rescue StandardError => e
      err = Stephost.pb_error(Codes::INTERNAL, "stephost-ruby could not encode the result: #{e.class}: #{e.message}")
      push(PB::WorkerMessage.new(result: PB::InvocationResult.new(invocation_id: invocation_id, error: err)))
    ensure
      @mutex.synchronize { @invocations.delete(invocation_id) }
    end

    LEVELS = { "debug" => "debug", "info" => "info", "warn" => "warn", "warning" => "warn", "error" => "error" }.freeze

    # W-LOG-1 to W-LOG-5: one Log, never waits, never raises; cut down when over 1 MiB.
    def send_log(invocation_id, level, msg, fields)
      text = utf8(msg.is_a?(String) ? msg : (msg.respond_to?(:message) ? msg.message : msg.to_s))
      log = PB::Log.new(invocation_id: invocation_id.to_s, level: LEVELS.fetch(level.to_s, "info"), msg: text,
                        fields_json: fields_json(fields), time_unix_ms: (Time.now.to_f * 1000).to_i)
      msg = PB::WorkerMessage.new(log: log)
      size = PB::WorkerMessage.encode(msg).bytesize
      if size > [LOG_LIMIT, @max_bytes].min
        log.msg = text[0, 4096]
        log.fields_json = JsonCodec.encode({ "truncated" => true, "originalBytes" => size })
      end
      push(msg)
    rescue StandardError => e
      Stephost.diag("a log record was lost: #{e.class}: #{e.message}")
    end

    private

    def utf8(text)
      s = text.to_s.dup
      s.force_encoding(Encoding::UTF_8) if s.encoding == Encoding::BINARY
      s = s.encode(Encoding::UTF_8, invalid: :replace, undef: :replace)
      s.valid_encoding? ? s : s.scrub
    end

    def fields_json(fields)
      return "".b if fields.nil? || (fields.respond_to?(:empty?) && fields.empty?)

      value = case fields
              when Hash then fields # encode_lenient makes the keys strings, cycles included
              when Exception then { "message" => fields.message, "name" => fields.class.name, "stack" => Stephost.format_stack(fields) }
              else { "data" => fields }
              end
      JsonCodec.encode_lenient(value)
    end

    # ------------------------------------------------------------------ start-up

    def load_file
      [Loader.load_file(@file_path, @project_root), nil]
    rescue FileLoadError => e
      Stephost.diag("cannot load #{@file_path}: #{e.message}")
      cause = e.cause_exception
      err = Stephost.pb_error(e.code, e.message, cause)
      err.stack = cause ? Stephost.format_stack(cause) : ""
      err.name = cause ? cause.class.name : "LoadError"
      [nil, err]
    end

    def hello(file)
      PB::Hello.new(
        protocol_version: 1, sdk_name: SDK_NAME, sdk_version: VERSION, language: "ruby", worker_id: @worker_id,
        config_json: file.config_json, capabilities: { "batch" => "1", "cancel" => "1" },
        middleware_count: file.middleware_count, functions: file.functions, source_files: file.source_files
      )
    end

    # W-CONN-1/3/4: an insecure channel to unix:<socket>, 64 MiB both ways, ready within 10 s.
    def connect
      args = {
        "grpc.max_receive_message_length" => CHANNEL_LIMIT + 64 * 1024,
        "grpc.max_send_message_length" => CHANNEL_LIMIT + 64 * 1024
      }
      channel = GRPC::Core::Channel.new("unix:#{@socket}", args, :this_channel_is_insecure)
      deadline = Time.now + CONNECT_TIMEOUT_S
      loop do
        state = channel.connectivity_state(true)
        return channel if state == GRPC::Core::ConnectivityStates::READY
        if Time.now >= deadline || state == GRPC::Core::ConnectivityStates::FATAL_FAILURE
          Stephost.diag("cannot reach the host at unix:#{@socket} within #{CONNECT_TIMEOUT_S} s")
          return nil
        end

        channel.watch_connectivity_state(state, [deadline, Time.now + 0.5].min)
      end
    end

    # W-CONN-2/5: exactly one Connect call, with the secret; its messages read on one thread.
    def start_reader(channel, load_failure_code)
      stub = PB::WorkerHost::Stub.new("unix:#{@socket}", :this_channel_is_insecure, channel_override: channel)
      Thread.new do
        Thread.current.report_on_exception = false
        code = load_failure_code || 3
        begin
          op = nil
          finished = -> { !op.nil? && !op.status.nil? } # the host's status has arrived: the call is over
          op = stub.connect(@outbox.each_message(finished), metadata: { "x-stephost-secret" => @secret }, return_op: true)
          op.execute.each { |msg| dispatch(msg) }
        rescue GRPC::BadStatus => e
          Stephost.diag("the stream ended: #{e.class.name.split('::').last}: #{e.details}") unless @drained
        rescue StandardError => e
          Stephost.diag("the stream failed: #{e.class}: #{e.message}")
        end
        # W-EXIT-1: the stream is over; user code still running ends with the process.
        @stream_lost = true
        fail_waiting_calls
        @exit_codes << (load_failure_code || (@drained ? 0 : 3))
      end
    end

    def fail_waiting_calls
      waiting = @mutex.synchronize { c = @calls.values; @calls.clear; c }
      waiting.each { |p| p.resolve(error: StepError.new(Codes::INTERNAL, "the stream to the host ended")) } # W-CTX-7
    end

    # ------------------------------------------------------------------ reading

    def dispatch(msg, in_batch: false)
      kind = msg.kind
      unless @welcomed
        welcome(msg.welcome) if kind == :welcome # W-WELCOME-1: nothing else is expected before it
        return
      end

      case kind
      when :invoke then on_invoke(msg.invoke)
      when :reply then on_reply(msg.reply)
      when :cancel then @mutex.synchronize { @invocations[msg.cancel.invocation_id] }&.cancel(msg.cancel.reason)
      when :ping then push(PB::WorkerMessage.new(pong: PB::Pong.new(seq: msg.ping.seq)), urgent: true)
      when :drain then on_drain(msg.drain.deadline_unix_ms)
      when :batch then msg.batch.messages.each { |inner| dispatch(inner, in_batch: true) unless in_batch } # W-BATCH-1
      end # anything else (a second Welcome, an unknown kind) is ignored: W-VER-2
    rescue StandardError => e
      Stephost.diag("could not handle a #{kind} message: #{e.class}: #{e.message}")
    end

    def welcome(welcome)
      @welcomed = true
      limit = welcome.max_message_bytes
      @max_bytes = limit.positive? ? [limit, CHANNEL_LIMIT].min : CHANNEL_LIMIT # W-WELCOME-2
      @stream_names = welcome.stream_names.to_a
      # We never send WorkerBatch, so Welcome.capabilities["batch"] needs no use (W-WELCOME-3).
    end

    def on_invoke(invoke)
      id = invoke.invocation_id
      refusal = refusal_for(invoke)
      return refuse(id, *refusal) if refusal

      payload = begin
        JsonCodec.decode(invoke.payload_json)
      rescue JSON::ParserError, EncodingError => e
        return refuse(id, Codes::INVALID_ARGUMENT, "the Invoke's payload_json is not valid JSON: #{e.message}")
      end
      invocation = Invocation.new(self, @file, invoke, payload)
      @mutex.synchronize do
        return if @invocations.key?(id) # W-INV-4: never run one id twice

        @invocations[id] = invocation
      end
      invocation.start
    end

    # W-INV-6: what the file cannot run is answered before any user code.
    def refusal_for(invoke)
      return [Codes::CANCELLED, "the worker is draining and accepts no new work"] if @draining

      trigger = invoke.trigger
      case trigger
      when :TRIGGER_KIND_API, :TRIGGER_KIND_EVENT, :TRIGGER_KIND_CRON
        return nil if @file.kind == :step && @file.handler?

        [Codes::HANDLER_MISSING, "#{File.basename(@file.path)} has no handler to run a #{trigger} invocation"]
      when :TRIGGER_KIND_CAN_ACCESS
        @file.kind == :stream ? nil : [Codes::INTERNAL, "CAN_ACCESS sent to a file that is not a stream file"]
      when :TRIGGER_KIND_AUTHENTICATE
        [Codes::INTERNAL, "AUTHENTICATE sent to a file that is not the stream auth file"]
      else
        [Codes::INVALID_ARGUMENT, "unknown trigger #{trigger.inspect}"]
      end
    end

    def refuse(id, code, message)
      push(PB::WorkerMessage.new(result: PB::InvocationResult.new(invocation_id: id, error: Stephost.pb_error(code, message))))
    end

    # W-CTX-5/6: the reply completes the call of the same id; unknown ids are ignored.
    def on_reply(reply)
      pending = @mutex.synchronize { @calls.delete(reply.call_id) }
      return unless pending

      if reply.outcome == :error
        pending.resolve(error: StepError.new(reply.error.code, reply.error.message))
      else
        begin
          pending.resolve(value: JsonCodec.decode(reply.value_json))
        rescue JSON::ParserError, EncodingError => e
          pending.resolve(error: StepError.new(Codes::INTERNAL, "the host's reply is not valid JSON: #{e.message}"))
        end
      end
    end

    # ------------------------------------------------------------------ drain

    # W-DRAIN-1 to W-DRAIN-5: refuse new work, let the rest finish, cancel what still runs
    # just before the deadline, then Drained, half-close and exit 0.
    def on_drain(deadline_unix_ms)
      return if @draining # W-DRAIN-5

      @draining = true
      Thread.new do
        Thread.current.report_on_exception = false
        deadline = deadline_unix_ms.positive? ? deadline_unix_ms / 1000.0 : nil
        cancelled = false
        loop do
          running = @mutex.synchronize { @invocations.values }
          break if running.empty?

          now = Time.now.to_f
          if deadline && !cancelled && now >= deadline - DRAIN_MARGIN_S
            running.each { |inv| inv.cancel("drain deadline") }
            cancelled = true
          end
          if deadline && now >= deadline - (DRAIN_MARGIN_S / 2)
            running.each(&:abandon) # W-CANCEL-6: do not wait for code that ignores the cancel
            break
          end

          sleep 0.01
        end
        @drained = true
        push(PB::WorkerMessage.new(drained: PB::Drained.new))
        @outbox.close
        # W-DRAIN-4: the host ends the stream after our half-close (the reader then exits 0);
        # this is the bound in case it does not.
        sleep 0.8
        @exit_codes << 0
      end
    end
  end
end
