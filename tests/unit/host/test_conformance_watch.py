"""The rules the conformance driver watches on every message a worker sends (EVERY_MESSAGE_RULES)."""

from __future__ import annotations

from stephost.conformance.session import message_violations, output_problem
from stephost_proto.v1 import worker_pb2 as pb

LIMIT = 1024


def watch(msg: pb.WorkerMessage, *, welcomed: bool = True, batches: bool = True) -> list[str]:
    return message_violations(msg, welcomed=welcomed, batches=batches, limit=LIMIT)


def result_error(code: str) -> pb.WorkerMessage:
    return pb.WorkerMessage(result=pb.InvocationResult(invocation_id="i1", error=pb.Error(code=code, message="m")))


def test_well_formed_messages_break_nothing() -> None:
    assert watch(pb.WorkerMessage(hello=pb.Hello(config_json=b'{"name":"A"}')), welcomed=False) == []
    assert watch(pb.WorkerMessage(log=pb.Log(msg="x", fields_json=b'{"a":"\xe2\x9c\x93"}')), welcomed=False) == []
    assert watch(result_error("CANCELLED")) == []
    ok = pb.InvocationResult(
        invocation_id="i1", ok=pb.Ok(response=pb.ApiResponse(status=200, body_kind=pb.BODY_KIND_JSON, body=b"null"))
    )
    assert watch(pb.WorkerMessage(result=ok)) == []


def test_json_fields_must_be_strict_utf8_json_nested_ones_too() -> None:
    (problem,) = watch(pb.WorkerMessage(log=pb.Log(fields_json=b'{"a": NaN}')))
    assert problem.startswith("W-JSON-1: log.fields_json") and "NaN is not JSON" in problem
    call = pb.CtxCall(call_id=1, invocation_id="i1", state=pb.StateCall(value_json=b"\xef\xbb\xbf1"))
    (problem,) = watch(pb.WorkerMessage(call=call))
    assert problem.startswith("W-JSON-1: call.state.value_json")
    text_body = pb.ApiResponse(status=200, body_kind=pb.BODY_KIND_JSON, body=b"{not json")
    (problem,) = watch(pb.WorkerMessage(result=pb.InvocationResult(ok=pb.Ok(response=text_body))))
    assert problem.startswith("W-API-5: a JSON ApiResponse.body")


def test_only_the_workers_codes_and_not_the_hosts() -> None:
    assert watch(result_error("TIMEOUT")) == ["W-CODE-1: InvocationResult i1 has the code 'TIMEOUT'"]
    assert watch(result_error("MADE_UP")) == ["W-CODE-1: InvocationResult i1 has the code 'MADE_UP'"]


def test_nothing_but_log_before_welcome() -> None:
    (problem,) = watch(pb.WorkerMessage(pong=pb.Pong(seq=1)), welcomed=False)
    assert problem.startswith("W-WELCOME-1: the worker sent pong")


def test_batches_only_when_announced_within_the_limit_and_flat() -> None:
    inner = [pb.WorkerMessage(pong=pb.Pong(seq=1)), pb.WorkerMessage(hello=pb.Hello())]
    batch = pb.WorkerMessage(batch=pb.WorkerBatch(messages=inner))
    assert watch(batch) == ["W-BATCH-3: a WorkerBatch holds a hello"]
    assert "W-VER-5: a WorkerBatch though the Welcome did not announce batches" in watch(batch, batches=False)
    big = pb.WorkerMessage(batch=pb.WorkerBatch(messages=[pb.WorkerMessage(log=pb.Log(msg="x" * LIMIT))]))
    assert watch(big)[0].startswith("W-BATCH-4: a WorkerBatch of")


def test_output_is_text() -> None:
    assert output_problem("stephost worker: ready ✓\n\tdetail\n".encode()) is None
    frame = pb.WorkerMessage(pong=pb.Pong(seq=3)).SerializeToString()
    assert output_problem(b"log line\n" + frame) is not None
    assert output_problem(b"\xff\xfe") is not None
