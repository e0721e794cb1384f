# GET /orders/:id/receipt in Ruby: reads the order the Python event step stored and
# answers a receipt for it.
def config
  {
    type: "api",
    name: "OrderReceipt",
    description: "A receipt for a stored order",
    path: "/orders/:id/receipt",
    method: "GET",
    emits: [],
    flows: ["orders"]
  }
end

def handler(req, ctx)
  id = req["pathParams"]["id"]
  order = ctx.state.get("orders", id)
  return { status: 404, body: { error: "order #{id} not found" } } if order.nil?

  ctx.logger.info("receipt written", { orderId: id })
  {
    status: 200,
    body: {
      orderId: id,
      line: "#{order["quantity"]} x #{order["item"]}",
      for: order["customer"]["name"],
      language: "ruby"
    }
  }
end
