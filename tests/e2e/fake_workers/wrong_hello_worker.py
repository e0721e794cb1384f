"""A worker that breaks the protocol on purpose, for the conformance suite's own test: it says
Hello with the wrong revision and someone else's worker id, then answers nothing."""

from __future__ import annotations

import json
import os
import queue
from pathlib import Path

import grpc

from stephost_proto.v1 import worker_pb2 as pb
from stephost_proto.v1 import worker_pb2_grpc as pb_grpc


def main() -> None:
    outbox: queue.Queue[pb.WorkerMessage] = queue.Queue()
    config = {"type": "api", "name": Path(os.environ["STEPHOST_STEP_FILE"]).stem, "path": "/x", "method": "GET"}
    outbox.put(
        pb.WorkerMessage(
            hello=pb.Hello(
                protocol_version=7,
                sdk_name="wrong",
                language="python",
                worker_id="someone-else",
                config_json=json.dumps(config).encode(),
            )
        )
    )
    channel = grpc.insecure_channel(f"unix:{os.environ['STEPHOST_SOCKET']}")
    stub = pb_grpc.WorkerHostStub(channel)
    replies = stub.Connect(
        iter(outbox.get, None), metadata=(("x-stephost-secret", os.environ["STEPHOST_WORKER_SECRET"]),)
    )
    for _ in replies:  # reads everything, answers nothing
        pass


if __name__ == "__main__":
    main()
