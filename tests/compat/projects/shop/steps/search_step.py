config = {
    "type": "api",
    "name": "SearchOrders",
    "path": "/search",
    "method": "GET",
    "emits": [],
    "queryParams": [
        {"name": "q", "description": "text to look for"},
        {"name": "limit"},
    ],
}


async def handler(req, context):
    return {"status": 200, "body": {"q": req.queryParams.get("q"), "limit": req.queryParams.get("limit")}}
