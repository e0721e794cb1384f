require "tmpdir"

def config
  { type: "api", name: "RbWrite", path: "/rb/write", method: "GET", emits: [] }
end

def attempt(path)
  File.write(path, "written by a worker")
  "ok"
rescue SystemCallError => e
  e.class.name
end

def handler(req, ctx)
  project = ENV["STEPHOST_PROJECT_ROOT"]
  {
    status: 200,
    body: {
      project: attempt(File.join(project, "rb-note.txt")),
      tmp: attempt(File.join(Dir.tmpdir, "rb-scratch.txt")),
      outside: attempt(req["queryParams"]["outside"] + "/rb-escape.txt")
    }
  }
end
