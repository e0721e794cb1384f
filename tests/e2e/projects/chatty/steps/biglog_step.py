config = {"type": "api", "name": "PyBigLog", "path": "/py/biglog", "method": "GET", "emits": []}


def handler(req, context):
    context.logger.info("y" * (2 * 1024 * 1024), {"blob": "z" * 1024})
    context.logger.info("after the big one")
    return {"status": 200, "body": {"logged": True}}
