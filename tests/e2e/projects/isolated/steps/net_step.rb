require "socket"

def config
  { type: "api", name: "RbNet", path: "/rb/net", method: "GET", emits: [] }
end

def handler(req, ctx)
  begin
    Socket.tcp("127.0.0.1", Integer(req["queryParams"]["port"]), connect_timeout: 3).close
    reached = true
    error = nil
  rescue SystemCallError => e
    reached = false
    error = e.class.name
  end
  { status: 200, body: { reached: reached, error: error, uid: Process.uid } }
end
