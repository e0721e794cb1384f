# frozen_string_literal: true

module Stephost
  # Loads the one file a worker runs (W-LOAD-*) and turns its config into the JSON object
  # of Hello (W-CONFIG-*).
  #
  # Ruby shape: the file defines `def config` returning a Hash (string or symbol keys) and
  # `def handler(...)`. It is loaded once with Kernel#load into a fresh wrap module, so its
  # top-level methods and constants do not leak into Object and `require_relative` works.
  class LoadedFile
    attr_reader :path, :kind, :config, :config_json, :middleware, :middleware_count, :functions, :source_files

    def initialize(path:, kind:, config:, config_json:, target:, middleware:, functions:, source_files:)
      @path = path
      @kind = kind
      @config = config
      @config_json = config_json
      @target = target
      @middleware = middleware
      @middleware_count = middleware.size
      @functions = functions
      @source_files = source_files
    end

    def handler? = !@target.nil? && @target.respond_to?(:handler, true)

    def handler_method = @target.method(:handler)

    def can_access = @config["canAccess"]
  end

  module Loader
    module_function

    def file_kind(path)
      base = File.basename(path)
      return :stream_auth if base.match?(/\Amotia\.config\.(ts|js|mjs|cjs)\z/)
      return :stream if base.match?(/[._]stream\.[A-Za-z0-9]+\z/)

      :step
    end

    # Returns a LoadedFile or raises Stephost::FileLoadError with the code of W-FAIL-1.
    def load_file(path, project_root)
      rel = relative(path, project_root)
      kind = file_kind(path)
      if kind == :stream_auth
        raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: the Ruby SDK cannot run a stream auth file (#{File.basename(path)})")
      end

      real = begin
        File.realpath(path)
      rescue SystemCallError
        raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: the file does not exist")
      end
      root = File.realpath(project_root)
      unless real.start_with?(root + "/")
        raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: the file is not inside the project root #{root}")
      end

      # W-LOAD-2: the project root importable (require "lib/helper" from the root).
      $LOAD_PATH.unshift(root) unless $LOAD_PATH.include?(root)
      before = $LOADED_FEATURES.dup
      wrap = Module.new
      begin
        Kernel.load(real, wrap)
      rescue ScriptError, StandardError, SystemExit => e
        line = e.backtrace&.find { |f| f.start_with?(real) }
        where = line ? " (#{line.sub(root + '/', '')})" : ""
        raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: failed to load#{where}: #{e.class}: #{e.message}", e)
      end
      target = Object.new.extend(wrap)
      sources = source_files(real, root, $LOADED_FEATURES - before)
      kind == :stream ? load_stream(rel, target, sources, real) : load_step(rel, target, sources, real)
    end

    def load_step(rel, target, sources, real)
      config = read_config(rel, target)
      type = config["type"]
      has_handler = target.respond_to?(:handler, true)
      if !has_handler && type != "noop"
        raise FileLoadError.new(Codes::HANDLER_MISSING, "#{rel}: the step has no `handler` method (def handler(req, ctx))")
      end

      middleware = Array(config["middleware"] || [])
      middleware.each_with_index do |m, i|
        raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: middleware[#{i}] is not callable (a Proc, lambda or Method)") unless m.respond_to?(:call)
      end
      json_config = config.reject { |k, _| k == "middleware" }
      %w[bodySchema input].each { |k| json_config[k] = schema(rel, k, json_config[k]) if json_config.key?(k) }
      if json_config["responseSchema"].is_a?(Hash)
        json_config["responseSchema"] = json_config["responseSchema"].to_h { |code, s| [code.to_s, schema(rel, "responseSchema.#{code}", s)] }
      end
      LoadedFile.new(path: real, kind: :step, config: config, config_json: to_json(rel, json_config),
                     target: has_handler ? target : nil, middleware: middleware, functions: [], source_files: sources)
    end

    def load_stream(rel, target, sources, real)
      config = read_config(rel, target)
      can_access = config["canAccess"]
      if !can_access.nil? && !can_access.respond_to?(:call)
        raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: config canAccess must be callable (a Proc, lambda or Method)")
      end

      json_config = config.reject { |k, _| k == "canAccess" }
      json_config["schema"] = schema(rel, "schema", json_config["schema"]) if json_config.key?("schema")
      LoadedFile.new(path: real, kind: :stream, config: config, config_json: to_json(rel, json_config), target: nil,
                     middleware: [], functions: can_access ? ["canAccess"] : [], source_files: sources)
    end

    def read_config(rel, target)
      raise FileLoadError.new(Codes::CONFIG_MISSING, "#{rel}: the file has no `config` (def config returning a Hash)") unless target.respond_to?(:config, true)

      raw = begin
        target.__send__(:config)
      rescue StandardError => e
        raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: `config` raised #{e.class}: #{e.message}", e)
      end
      raise FileLoadError.new(Codes::CONFIG_MISSING, "#{rel}: `config` returned nil") if raw.nil?
      raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: `config` must return a Hash, got #{raw.class}") unless raw.is_a?(Hash)

      # Keys as strings at the top and below; functions (middleware, canAccess) are kept
      # here and taken out of the JSON by the callers.
      raw.to_h { |k, v| [k.to_s, k.to_s == "middleware" || k.to_s == "canAccess" ? v : JsonCodec.stringify_keys(v)] }
    end

    # W-CONFIG-5: JSON Schema as a Hash (or true/false/nil). An object answering
    # `to_json_schema` / `json_schema` is asked for one (a hook for schema libraries).
    def schema(rel, field, value)
      return value if value.nil? || value == true || value == false
      return JsonCodec.stringify_keys(value) if value.is_a?(Hash)

      %i[to_json_schema json_schema].each do |m|
        return JsonCodec.stringify_keys(value.public_send(m)) if value.respond_to?(m)
      end
      raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: #{field}: cannot convert a #{value.class} to JSON Schema (give a Hash)")
    end

    # Functions elsewhere in the config cannot be carried: they are removed, never sent
    # as null (W-CONFIG-2).
    def strip_functions(value)
      case value
      when Hash then value.reject { |_, v| v.respond_to?(:call) }.transform_values { |v| strip_functions(v) }
      when Array then value.reject { |v| v.respond_to?(:call) }.map { |v| strip_functions(v) }
      else value
      end
    end

    def to_json(rel, config)
      JsonCodec.encode(strip_functions(config))
    rescue StandardError, SystemStackError => e
      raise FileLoadError.new(Codes::LOAD_ERROR, "#{rel}: the config cannot be made JSON: #{e.message}", e)
    end

    # W-HELLO-9: the file and the project files it required, without installed code or the SDK.
    def source_files(real, root, loaded)
      files = [real] + loaded.filter_map do |f|
        path = File.realpath(f) rescue next # rubocop:disable Style/RescueModifier
        next unless path.start_with?(root + "/")
        next if path.start_with?(SDK_DIR + "/") || path.match?(%r{/(vendor|\.bundle|gems|node_modules)/})

        path
      end
      files.uniq.sort
    end

    def relative(path, root)
      path.start_with?(root.to_s + "/") ? path.delete_prefix(root.to_s + "/") : path
    end
  end
end
