config = {"type": "api", "name": "PyFlood", "path": "/py/flood", "method": "GET", "emits": []}


def handler(req, context):
    for n in range(50_000):
        print(f"flood line {n} " + "x" * 100)
    print("y" * 200_000)  # one huge line, no newline for a long while
    return {"status": 200, "body": {"printed": 50_001}}
