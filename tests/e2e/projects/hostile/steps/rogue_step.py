import os

import grpc

from stephost_proto.v1 import worker_pb2_grpc as pb_grpc

config = {"type": "api", "name": "Rogue", "path": "/rogue", "method": "GET", "emits": []}


async def handler(req, context):
    """Dial the host's worker socket as an impostor and report what the host answered."""
    secret = os.environ["STEPHOST_WORKER_SECRET"] if req.queryParams.get("secret") == "stolen" else "made-up"
    async with grpc.aio.insecure_channel("unix:" + os.environ["STEPHOST_SOCKET"]) as channel:
        call = pb_grpc.WorkerHostStub(channel).Connect(metadata=(("x-stephost-secret", secret),))
        try:
            # Read before writing: the host answers the call's metadata, so its verdict comes first.
            first = await call.read()
            outcome = "accepted" if first is not grpc.aio.EOF else "closed"
        except grpc.aio.AioRpcError as exc:
            outcome = exc.code().name
    return {"status": 200, "body": {"outcome": outcome}}
