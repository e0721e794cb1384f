config = {
    "type": "api",
    "name": "PyBomb",
    "path": "/py/bomb",
    "method": "GET",
    "emits": [],
    "infrastructure": {"handler": {"ram": 256}},
}


def handler(req, context):
    if req.queryParams.get("go") == "1":
        hoard = []
        while len(hoard) < 200:  # bounded at 4 GB so a broken limit cannot sink the machine
            hoard.append(b"x" * (20 * 2**20))
    return {"status": 200, "body": {"alive": True}}
