import sys

config = {
    "type": "api",
    "name": "PyTalk",
    "path": "/py/talk",
    "method": "GET",
    "emits": [],
    "flows": ["talk"],
}


def handler(req, context):
    print(f"print from python {context.trace_id}")
    print(f"stderr from python {context.trace_id}", file=sys.stderr)
    context.logger.info(f"logger from python {context.trace_id}", {"lang": "py"})
    if req["queryParams"].get("fail"):
        print(f"last words from python {context.trace_id}")
        raise RuntimeError("python talker failed")
    return {"status": 200, "body": {"said": 3}}
