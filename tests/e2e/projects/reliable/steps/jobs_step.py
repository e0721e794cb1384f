config = {
    "type": "api",
    "name": "Jobs",
    "path": "/jobs",
    "method": "POST",
    "emits": ["flaky", "doomed", "crashy", "ordered", "slow", "timed", "delayed", "limited", "killme", "sleepy"],
}


async def handler(req, context):
    for job in req.body["jobs"]:
        event = {"topic": job["topic"], "data": job["data"]}
        if "group" in job:
            event["messageGroupId"] = job["group"]
        await context.emit(event)
    return {"status": 202, "body": {"queued": len(req.body["jobs"]), "traceId": context.trace_id}}
