def mark(label):
    async def middleware(req, context, next_fn):
        req["order"] = [*req.get("order", []), label]
        return await next_fn()

    return middleware


def explode_on_demand(req, context, next_fn):
    # A plain (not async) middleware: it returns what next_fn() gives.
    if req["headers"].get("x-explode"):
        raise RuntimeError("python middleware exploded")
    return next_fn()


async def auth(req, context, next_fn):
    req["order"] = [*req.get("order", []), "auth"]
    token = req["headers"].get("authorization", "")
    if not token.startswith("Bearer "):
        return {"status": 401, "body": {"error": "unauthorized", "by": "py-auth", "seen": req["order"]}}
    req["user"] = {"id": token.removeprefix("Bearer ")}
    return await next_fn()
