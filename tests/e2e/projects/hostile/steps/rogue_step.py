import os

import grpc

from stephost_proto.v1 import worker_pb2 as pb
from stephost_proto.v1 import worker_pb2_grpc as pb_grpc

config = {"type": "api", "name": "Rogue", "path": "/rogue", "method": "GET", "emits": []}


async def handler(req, context):
    """Dial the host's worker socket as an impostor and report what the host answered."""
    secret = os.environ["STEPHOST_WORKER_SECRET"] if req.queryParams.get("secret") == "stolen" else "made-up"
    async with grpc.aio.insecure_channel("unix:" + os.environ["STEPHOST_SOCKET"]) as channel:
        call = pb_grpc.WorkerHostStub(channel).Connect(metadata=(("x-stephost-secret", secret),))
        try:
            await call.write(pb.WorkerMessage(hello=pb.Hello(protocol_version=1, config_json=b"{}")))
            await call.read()
            outcome = "accepted"
        except grpc.aio.AioRpcError as exc:
            outcome = exc.code().name
    return {"status": 200, "body": {"outcome": outcome}}
