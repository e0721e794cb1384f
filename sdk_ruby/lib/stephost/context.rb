# frozen_string_literal: true

module Stephost
  # The `ctx` of one invocation (STEPS.md §4). Every operation except logging is one
  # CtxCall (W-CTX-1). The plain methods wait for the reply and return its value or raise
  # StepError; each has an `_async` twin that sends the call at once and returns a
  # Pending (call `.value` to wait). A ctx belongs to its invocation, so it may be used
  # from threads the handler starts.
  class Context
    attr_reader :trace_id, :flows, :attempt, :event_id, :topic, :invocation_id, :deadline_unix_ms,
                :state, :streams, :logger

    def initialize(invocation, invoke, stream_names)
      @invocation = invocation
      @invocation_id = invoke.invocation_id
      @trace_id = invoke.trace_id
      @flows = invoke.flows.to_a
      @attempt = invoke.attempt.zero? ? 1 : invoke.attempt # W-INV-3: 0 read as 1
      @event_id = invoke.event_id
      @topic = invoke.topic
      @deadline_unix_ms = invoke.deadline_unix_ms # informational only (W-DEADLINE-1)
      @state = State.new(invocation)
      @streams = Streams.new(invocation, stream_names)
      @logger = Logger.new(invocation)
    end

    alias traceId trace_id
    alias eventId event_id

    # ctx.emit(topic: "t", data: {...}, message_group_id: "g") or
    # ctx.emit({"topic" => "t", "data" => {...}, "messageGroupId" => "g"})
    def emit(event = nil, **kw)
      emit_async(event, **kw).value
    end

    def emit_async(event = nil, **kw)
      args = JsonCodec.stringify_keys((event || {}).to_h.merge(kw))
      topic = args["topic"]
      group = args["messageGroupId"] || args["message_group_id"]
      return @invocation.local_failure("emit needs a topic (a non-empty string)") unless topic.is_a?(String) && !topic.empty?
      return @invocation.local_failure("messageGroupId must be a string") unless group.nil? || group.is_a?(String)

      @invocation.start_call(:emit, topic: topic, data: args["data"], message_group_id: group || "")
    end

    def cancelled?
      @invocation.cancelled?
    end

    # Kernel#sleep is already interrupted by a cancellation; this is the same, spelled as a ctx call.
    def sleep(seconds)
      Kernel.sleep(seconds)
    end
  end

  # ctx.state: get/set/delete/get_group/clear (STEPS.md §6, protocol §4.3).
  class State
    def initialize(invocation)
      @invocation = invocation
    end

    def get(group, key) = get_async(group, key).value
    def set(group, key, value) = set_async(group, key, value).value
    def delete(group, key) = delete_async(group, key).value
    def get_group(group) = get_group_async(group).value
    alias getGroup get_group
    def clear(group) = clear_async(group).value

    def get_async(group, key) = call(PB::StateOp::STATE_OP_GET, group, key)
    def set_async(group, key, value) = call(PB::StateOp::STATE_OP_SET, group, key, value, with_value: true)
    def delete_async(group, key) = call(PB::StateOp::STATE_OP_DELETE, group, key)
    def get_group_async(group) = call(PB::StateOp::STATE_OP_GET_GROUP, group, "")
    def clear_async(group) = call(PB::StateOp::STATE_OP_CLEAR, group, "")

    private

    def call(op, group, key, value = nil, with_value: false)
      # W-STATE-1: strings; integer keys (and symbols) are sent as their text.
      return @invocation.local_failure("state group must be a string") unless text?(group)
      return @invocation.local_failure("state key must be a string") unless text?(key)

      @invocation.start_call(:state, op: op, group: group.to_s, key: key.to_s, value: value, with_value: with_value)
    end

    def text?(value)
      value.is_a?(String) || value.is_a?(Symbol) || value.is_a?(Integer)
    end
  end

  # ctx.streams[name] or ctx.streams.name: the streams of Welcome.stream_names, and any
  # other name too (the host answers STREAM_NOT_FOUND, W-WELCOME-4).
  class Streams
    include Enumerable

    def initialize(invocation, names)
      @invocation = invocation
      @names = names
      @streams = {}
    end

    def [](name)
      @streams[name.to_s] ||= Stream.new(@invocation, name.to_s)
    end

    def names = @names.dup
    def each(&block) = @names.map { |n| self[n] }.each(&block)
    def key?(name) = @names.include?(name.to_s)

    def method_missing(name, *args)
      return self[name] if args.empty? && @names.include?(name.to_s)

      super
    end

    def respond_to_missing?(name, include_private = false)
      @names.include?(name.to_s) || super
    end
  end

  class Stream
    attr_reader :name

    def initialize(invocation, name)
      @invocation = invocation
      @name = name
    end

    def get(group_id, id) = get_async(group_id, id).value
    def set(group_id, id, data) = set_async(group_id, id, data).value
    def delete(group_id, id) = delete_async(group_id, id).value
    def get_group(group_id) = get_group_async(group_id).value
    alias getGroup get_group
    # Shadows Object#send on purpose (the Motia name); use __send__ for reflection.
    def send(channel, event) = send_async(channel, event).value

    def get_async(group_id, id) = call(PB::StreamOp::STREAM_OP_GET, group_id, id)
    def set_async(group_id, id, data) = call(PB::StreamOp::STREAM_OP_SET, group_id, id, data, with_data: true)
    def delete_async(group_id, id) = call(PB::StreamOp::STREAM_OP_DELETE, group_id, id)
    def get_group_async(group_id) = call(PB::StreamOp::STREAM_OP_GET_GROUP, group_id, "")

    # send({groupId:, id:}, {type:, data:}); id optional (a whole group).
    def send_async(channel, event)
      channel = JsonCodec.stringify_keys(channel.to_h)
      event = JsonCodec.stringify_keys(event.to_h)
      type = event["type"]
      return @invocation.local_failure("stream send needs a type (a non-empty string)") unless type.is_a?(String) && !type.empty?

      group_id = channel["groupId"] || channel["group_id"]
      call(PB::StreamOp::STREAM_OP_SEND, group_id, channel["id"] || "", { "type" => type, "data" => event["data"] },
           with_data: true)
    end

    private

    def call(op, group_id, id, data = nil, with_data: false)
      return @invocation.local_failure("stream groupId must be a string") unless group_id.is_a?(String) || group_id.is_a?(Symbol)

      @invocation.start_call(:stream, op: op, stream: @name, group_id: group_id.to_s, id: id.to_s, data: data,
                                      with_data: with_data)
    end
  end

  # ctx.logger: one Log per call, never waits, never raises (W-LOG-1 to W-LOG-4).
  class Logger
    def initialize(invocation)
      @invocation = invocation
    end

    def debug(msg, fields = nil) = log("debug", msg, fields)
    def info(msg, fields = nil) = log("info", msg, fields)
    def warn(msg, fields = nil) = log("warn", msg, fields)
    alias warning warn
    def error(msg, fields = nil) = log("error", msg, fields)

    def log(level, msg, fields = nil)
      Stephost.uninterruptible { @invocation.worker.send_log(@invocation.id, level, msg, fields) }
      nil
    rescue StandardError
      nil
    end
  end
end
