from src.middlewares.py_middlewares import auth, explode_on_demand, mark

config = {
    "type": "api",
    "name": "PyGuarded",
    "path": "/py/guarded",
    "method": "GET",
    "emits": [],
    "middleware": [mark("first"), explode_on_demand, auth, mark("last")],
}


async def handler(req, context):
    # Motia passes a dict; stephost also allows attribute access.
    return {"status": 200, "body": {"order": [*req["order"], "handler"], "user": req.user}}
