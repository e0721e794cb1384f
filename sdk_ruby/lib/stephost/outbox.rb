# frozen_string_literal: true

module Stephost
  # The worker's outgoing messages. grpc-ruby writes a bidi call's requests by iterating an
  # Enumerator on its own thread; this one blocks on a queue, so any thread (reader,
  # handlers) can send by pushing. Order is kept (W-ORDER-1) except that Pongs jump the
  # queue (W-PING-3), so a backlog of results never looks like a hang. Closing it ends the
  # Enumerator, which grpc-ruby turns into the half-close of the stream.
  class Outbox
    def initialize
      @mutex = Mutex.new
      @cond = ConditionVariable.new
      @urgent = []
      @normal = []
      @closed = false
    end

    def push(msg, urgent: false)
      @mutex.synchronize do
        return false if @closed

        (urgent ? @urgent : @normal) << msg
        @cond.signal
      end
      true
    end

    # No more messages: what is queued is still written, then the stream is half-closed.
    def close
      @mutex.synchronize do
        @closed = true
        @cond.broadcast
      end
    end

    def closed?
      @mutex.synchronize { @closed }
    end

    # `finished` is asked while idle: grpc-ruby's bidi reader joins the writer thread
    # after the host has ended the call, so the writer must notice the end by itself
    # (else the reader never returns and the worker outlives its stream).
    def each_message(finished = -> { false })
      Enumerator.new do |out|
        loop do
          msg = take(finished)
          break if msg.nil?

          out << msg
        end
      end
    end

    private

    def take(finished)
      @mutex.synchronize do
        loop do
          return @urgent.shift unless @urgent.empty?
          return @normal.shift unless @normal.empty?
          return nil if @closed || finished.call

          @cond.wait(@mutex, 0.05)
        end
      end
    end
  end
end
