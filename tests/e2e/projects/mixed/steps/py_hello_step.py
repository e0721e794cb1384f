from src.services.greeting import greet

config = {
    "type": "api",
    "name": "PyHello",
    "path": "/py/hello/:name",
    "method": "GET",
    "emits": [],
}


def handler(req, context):
    # a plain (non-async) handler: stephost runs it off the event loop
    return {
        "status": 200,
        "body": {
            "lang": "py",
            "greeting": greet(req.pathParams["name"]),
            "query": req["queryParams"],
            "traceId": context.trace_id,
        },
    }
