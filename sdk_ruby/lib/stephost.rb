# frozen_string_literal: true

# The stephost Ruby SDK: runs one step file in a worker process that talks to the host
# over one gRPC bidi stream (docs/protocol.md). User code sees only Stephost::Context,
# Stephost::StepError and the codes below; everything else is the worker's machinery.

# The generated code requires 'stephost/v1/worker_pb' by that name.
$LOAD_PATH.unshift(File.expand_path("stephost_proto", __dir__))

module Stephost
  VERSION = "0.1.0"
  SDK_NAME = "stephost-ruby"
  SDK_DIR = File.expand_path("..", __dir__)
end

require "stephost/v1/worker_pb"
require "stephost/v1/worker_services_pb"
require_relative "stephost/errors"
require_relative "stephost/json_codec"
require_relative "stephost/outbox"
require_relative "stephost/pending"
require_relative "stephost/context"
require_relative "stephost/loader"
require_relative "stephost/invocation"
require_relative "stephost/worker"
