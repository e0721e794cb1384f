"""The conformance checks: each starts a fresh worker on one fixture (see fixtures/README.md),
plays the host's side and fails with a sentence naming the message and field at fault.

A check cites the rules of docs/protocol.md it checks. `level` is "MUST" (a failure fails
the run) or "SHOULD" (reported, does not fail it).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from stephost.conformance.session import (
    STREAM_NAME,
    ConformanceFailure,
    CtxAnswers,
    FakeHost,
    InvocationTrace,
    StreamEnded,
    WorkerSession,
    api_payload,
    describe,
    invoke_message,
    reply_message,
)
from stephost_proto.v1 import worker_pb2 as pb

API, EVENT, CRON = pb.TRIGGER_KIND_API, pb.TRIGGER_KIND_EVENT, pb.TRIGGER_KIND_CRON
UNICODE = {
    "plain": "ascii",
    "accents": "héllo wörld",
    "cjk": "漢字かな",
    "emoji": "🚀✓",
    "rtl": "مرحبا",
    "nul": "a\u0000b",
}


@dataclass(frozen=True)
class Check:
    name: str
    rules: tuple[str, ...]
    fixture: str  # the config name of the step it runs
    run: Callable[[WorkerSession], Awaitable[None]]
    level: str = "MUST"
    batch: bool = True  # whether the driver's Welcome announces batches
    max_message_bytes: int = 64 * 1024 * 1024  # what the driver's Welcome allows
    extra_capabilities: tuple[tuple[str, str], ...] = ()  # more capabilities in the Welcome
    hold_welcome_s: float = 0.0  # how long the Welcome waits after the Hello
    bare_env: bool = False  # the worker starts with the five STEPHOST_* variables and PATH only


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ConformanceFailure(message)


def ok_response(trace: InvocationTrace) -> pb.ApiResponse:
    result = trace.result
    if result.WhichOneof("outcome") != "ok":
        raise ConformanceFailure(f"expected an Ok result, got error {result.error.code}: {result.error.message}")
    expect(result.ok.HasField("response"), "an api invocation's Ok must hold `response` (W-RESULT-1)")
    return result.ok.response


def json_body(response: pb.ApiResponse) -> Any:
    expect(
        response.body_kind == pb.BODY_KIND_JSON,
        f"expected body_kind JSON, got {pb.BodyKind.Name(response.body_kind)}",
    )
    try:
        return json.loads(response.body)
    except ValueError as exc:
        raise ConformanceFailure(f"ApiResponse.body is not JSON: {exc}: {response.body[:200]!r}") from None


def headers_of(response: pb.ApiResponse) -> dict[str, str]:
    return {h.name.lower(): h.value for h in response.headers}


def error_of(trace: InvocationTrace) -> pb.Error:
    expect(trace.result.WhichOneof("outcome") == "error", f"expected an error result, got {trace.result}")
    return trace.result.error


# ---------------------------------------------------------------------- api and results


async def api_echo(w: WorkerSession) -> None:
    body = {"item": "book", "n": 2, "nested": {"list": [1, 2.5, None, True]}}
    trace = await w.invoke("i1", API, api_payload(body, pathParams={"id": "7"}, queryParams={"q": ["a", "b"]}))
    response = ok_response(trace)
    expect(response.status == 200, f"status: expected 200, got {response.status}")
    expect(headers_of(response).get("x-echo") == "1", f"header x-echo: expected '1', got {list(response.headers)}")
    got = json_body(response)
    expected = {
        "body": body,
        "pathParams": {"id": "7"},
        "queryParams": {"q": ["a", "b"]},
        "traceId": "trace-conformance",
    }
    expect(got == expected, f"echoed body: expected {expected}, got {got}")


async def api_unicode(w: WorkerSession) -> None:
    trace = await w.invoke("i1", API, api_payload(UNICODE))
    got = json_body(ok_response(trace))
    expect(got.get("body") == UNICODE, f"unicode round trip: sent {UNICODE!r}, got back {got.get('body')!r}")


async def api_text(w: WorkerSession) -> None:
    response = ok_response(await w.invoke("i1", API, api_payload({})))
    expect(
        response.body_kind == pb.BODY_KIND_TEXT, f"body_kind: expected TEXT, got {pb.BodyKind.Name(response.body_kind)}"
    )
    expect(response.body == "plain ✓ text".encode(), f"text body: got {response.body!r}")
    expect(headers_of(response).get("content-type", "").startswith("text/plain"), "content-type: expected text/plain")


async def api_bytes(w: WorkerSession) -> None:
    response = ok_response(await w.invoke("i1", API, api_payload({})))
    expected = b"\x00\x01\xfe\xff" + "✓".encode()
    expect(
        response.body_kind == pb.BODY_KIND_BYTES,
        f"body_kind: expected BYTES, got {pb.BodyKind.Name(response.body_kind)}",
    )
    expect(response.body == expected, f"bytes body: expected {expected!r}, got {response.body!r}")


async def api_empty_and_logs(w: WorkerSession) -> None:
    started_ms = time.time() * 1000
    trace = await w.invoke("i1", API, api_payload({}))
    response = ok_response(trace)
    expect(response.status == 204, f"status: expected 204, got {response.status}")
    expect(
        response.body_kind == pb.BODY_KIND_EMPTY,
        f"body_kind: expected EMPTY, got {pb.BodyKind.Name(response.body_kind)}",
    )
    levels = [(log.level, log.msg) for log in trace.logs]
    expected = [("debug", "debug line"), ("info", "info line"), ("warn", "warn line"), ("error", "error line")]
    expect(levels == expected, f"logs of the invocation (level, msg): expected {expected}, got {levels}")
    info = trace.logs[1]
    fields = json.loads(info.fields_json or b"{}")
    expect(
        fields == {"n": 1, "text": "héllo ✓"}, f"Log.fields_json: expected {{'n': 1, 'text': 'héllo ✓'}}, got {fields}"
    )
    expect(
        abs(info.time_unix_ms - started_ms) < 60_000, f"Log.time_unix_ms {info.time_unix_ms} is not the current time"
    )
    last_log = max(r.at for r in trace.received if r.message.WhichOneof("kind") == "log")
    expect(last_log <= trace.received[-1].at, "a Log of the invocation came after its result")


async def middleware_chain(w: WorkerSession) -> None:
    """Middleware runs in the array's order around the handler, and can change the response."""
    response = ok_response(await w.invoke("i1", API, api_payload({})))
    got = json_body(response)
    expect(got == {"trail": ["first", "second", "handler"]}, f"the chain's trail: {got}")
    expect(
        headers_of(response).get("x-middleware") == "first",
        f"the header the first middleware added: {list(response.headers)}",
    )


async def handler_error(w: WorkerSession) -> None:
    error = error_of(await w.invoke("i1", API, api_payload({"why": "no stock ✓"})))
    expect(error.code == "HANDLER_ERROR", f"Error.code: expected HANDLER_ERROR, got {error.code!r}")
    expect("boom: no stock ✓" in error.message, f"Error.message should hold the thrown message, got {error.message!r}")
    expect(bool(error.name), "Error.name should name the error's class (ValueError, Error, ...), got ''")
    expect(bool(error.stack), "Error.stack should hold the stack of the thrown error, got ''")


# ---------------------------------------------------------------------- triggers


async def event_trigger(w: WorkerSession) -> None:
    data = {"key": "k1", "v": "✓"}
    trace = await w.invoke("i1", EVENT, data)
    expect(trace.result.WhichOneof("outcome") == "ok", f"event invocation failed: {trace.result}")
    expect(len(trace.calls) == 1, f"expected one ctx call (state.set), got {[describe_call(c) for c in trace.calls]}")
    call = trace.calls[0]
    expect(call.WhichOneof("op") == "state", f"expected a state call, got {describe_call(call)}")
    state = call.state
    expect(state.op == pb.STATE_OP_SET and state.group == "conf" and state.key == "k1", f"state call: {state}")
    expect(json.loads(state.value_json) == data, f"StateCall.value_json: expected {data}, got {state.value_json!r}")


CAN_ACCESS = pb.TRIGGER_KIND_CAN_ACCESS


async def can_access(w: WorkerSession) -> None:
    """canAccess(subscription, authContext) answers Ok true/false by its return value, an error when it raises."""
    cases = [
        ({"groupId": "u1"}, {"userId": "u1"}, True),
        ({"groupId": "u1", "id": "m7"}, {"userId": "u2"}, False),
        ({"groupId": "u1"}, None, False),
    ]
    for n, (subscription, auth, allowed) in enumerate(cases):
        trace = await w.invoke(f"a{n}", CAN_ACCESS, {"subscription": subscription, "authContext": auth})
        result = trace.result
        expect(result.WhichOneof("outcome") == "ok", f"canAccess({subscription}, {auth}) failed: {result}")
        expect(not result.ok.HasField("response"), "a canAccess result is a value_json, not an api response")
        got = json.loads(result.ok.value_json or b"null")
        expect(got is allowed, f"canAccess({subscription}, {auth}): expected value_json {allowed}, got {got!r}")
    error = error_of(await w.invoke("boom", CAN_ACCESS, {"subscription": {"groupId": "boom"}, "authContext": None}))
    expect(error.code == "HANDLER_ERROR" and "canAccess exploded" in error.message, f"a raising canAccess: {error}")


async def cron_trigger(w: WorkerSession) -> None:
    trace = await w.invoke("i1", CRON, None)
    expect(trace.result.WhichOneof("outcome") == "ok", f"cron invocation failed: {trace.result}")
    expect(
        [log.msg for log in trace.logs] == ["tick"], f"expected the log 'tick', got {[log.msg for log in trace.logs]}"
    )


# ---------------------------------------------------------------------- ctx calls


def describe_call(call: pb.CtxCall) -> str:
    op = call.WhichOneof("op")
    return f"{op} {{{str(getattr(call, op or '')).strip()}}}".replace("\n", " ")


def scripted(values: list[Any]) -> CtxAnswers:
    """Answer the calls in arrival order with `values` (an ("error", code, message) tuple answers an error)."""
    queue = list(values)

    def answer(call: pb.CtxCall) -> tuple[str, Any]:
        value = queue.pop(0) if queue else None
        if isinstance(value, tuple) and value and value[0] == "error":
            return "error", (value[1], value[2])
        if isinstance(value, tuple) and value and value[0] == "raw":  # value_json bytes as they are
            return "raw", value[1]
        return "value", value

    return CtxAnswers(answer)


async def run_ops(w: WorkerSession, ops: list[dict[str, Any]], values: list[Any]) -> tuple[list[Any], InvocationTrace]:
    trace = await w.invoke("i1", API, api_payload({"ops": ops}), answers=scripted(values))
    results = json_body(ok_response(trace)).get("results")
    expect(isinstance(results, list) and len(results) == len(ops), f"Ctx step answered {results!r}")
    for call in trace.calls:
        expect(call.invocation_id == "i1", f"CtxCall.invocation_id: expected 'i1', got {call.invocation_id!r}")
    ids = [c.call_id for c in trace.calls]
    expect(len(set(ids)) == len(ids), f"CtxCall.call_id values repeat: {ids}")
    return results, trace


async def ctx_state(w: WorkerSession) -> None:
    ops: list[dict[str, Any]] = [
        {"op": "state.set", "group": "g", "key": "k", "value": {"a": "✓", "n": [1, 2]}},
        {"op": "state.get", "group": "g", "key": "k"},
        {"op": "state.delete", "group": "g", "key": "k"},
        {"op": "state.getGroup", "group": "g"},
        {"op": "state.clear", "group": "g"},
    ]
    values = [{"a": "✓", "n": [1, 2]}, {"stored": 1}, {"old": True}, [1, "two"], None]
    results, trace = await run_ops(w, ops, values)
    expected_calls = [
        (pb.STATE_OP_SET, "g", "k"),
        (pb.STATE_OP_GET, "g", "k"),
        (pb.STATE_OP_DELETE, "g", "k"),
        (pb.STATE_OP_GET_GROUP, "g", ""),
        (pb.STATE_OP_CLEAR, "g", ""),
    ]
    got = [(c.state.op, c.state.group, c.state.key) for c in trace.calls if c.WhichOneof("op") == "state"]
    expect(len(trace.calls) == 5 and got == expected_calls, f"state calls (op, group, key) in order: {got}")
    set_value = json.loads(trace.calls[0].state.value_json)
    expect(set_value == ops[0]["value"], f"StateCall.value_json of set: {set_value!r}")
    expect([r.get("value") for r in results] == values, f"values the handler got back: {results}")


async def ctx_emit(w: WorkerSession) -> None:
    ops: list[dict[str, Any]] = [
        {"op": "emit", "topic": "conf.topic", "data": {"key": "e", "v": "✓"}},
        {"op": "emit", "topic": "conf.topic", "data": [1, 2], "messageGroupId": "grp-1"},
    ]
    _, trace = await run_ops(w, ops, [None, None])
    emits = [c.emit for c in trace.calls if c.WhichOneof("op") == "emit"]
    expect(len(emits) == 2, f"expected two emit calls, got {[describe_call(c) for c in trace.calls]}")
    expect(emits[0].topic == "conf.topic" and json.loads(emits[0].data_json) == {"key": "e", "v": "✓"}, f"{emits[0]}")
    expect(emits[0].message_group_id == "", f"EmitCall.message_group_id without one: {emits[0].message_group_id!r}")
    expect(emits[1].message_group_id == "grp-1", f"EmitCall.message_group_id: expected 'grp-1', got {emits[1]}")


async def ctx_streams(w: WorkerSession) -> None:
    s = STREAM_NAME
    ops: list[dict[str, Any]] = [
        {"op": "stream.set", "stream": s, "groupId": "room", "id": "m1", "data": {"text": "✓"}},
        {"op": "stream.get", "stream": s, "groupId": "room", "id": "m1"},
        {"op": "stream.getGroup", "stream": s, "groupId": "room"},
        {"op": "stream.delete", "stream": s, "groupId": "room", "id": "m1"},
        {"op": "stream.send", "stream": s, "groupId": "room", "type": "typing", "data": {"who": "ada"}},
        {"op": "stream.send", "stream": s, "groupId": "room", "id": "m1", "type": "seen", "data": 1},
    ]
    item = {"id": "m1", "text": "✓"}
    results, trace = await run_ops(w, ops, [item, item, [item], item, None, None])
    got = [(c.stream.op, c.stream.stream, c.stream.group_id, c.stream.id) for c in trace.calls]
    expected = [
        (pb.STREAM_OP_SET, s, "room", "m1"),
        (pb.STREAM_OP_GET, s, "room", "m1"),
        (pb.STREAM_OP_GET_GROUP, s, "room", ""),
        (pb.STREAM_OP_DELETE, s, "room", "m1"),
        (pb.STREAM_OP_SEND, s, "room", ""),
        (pb.STREAM_OP_SEND, s, "room", "m1"),
    ]
    expect(got == expected, f"stream calls (op, stream, groupId, id): expected {expected}, got {got}")
    expect(json.loads(trace.calls[0].stream.data_json) == {"text": "✓"}, "StreamCall.data_json of set")
    sent = json.loads(trace.calls[4].stream.data_json)
    expect(sent == {"type": "typing", "data": {"who": "ada"}}, f"StreamCall.data_json of send: {sent}")
    expect(results[0].get("value") == item, f"the handler got {results[0]} for set")


async def ctx_errors(w: WorkerSession) -> None:
    ops: list[dict[str, Any]] = [
        {"op": "emit", "topic": "conf.topic", "data": {}},
        {"op": "state.get", "group": "g", "key": "k"},
        {"op": "state.get", "group": "g", "key": "k2"},
    ]
    values = [("error", "EMIT_NOT_DECLARED", "not declared ✓"), ("error", "SOME_FUTURE_CODE", "new"), 5]
    results, _ = await run_ops(w, ops, values)
    expect(
        results[0].get("error") == {"code": "EMIT_NOT_DECLARED", "message": "not declared ✓"},
        f"a ctx call answered with an error must raise its code and message: the handler saw {results[0]}",
    )
    expect(
        (results[1].get("error") or {}).get("code") == "SOME_FUTURE_CODE",
        f"an unknown error code must reach the handler as it is (W-CODE-2): {results[1]}",
    )
    expect(results[2].get("value") == 5, f"a call after failed ones must still work: {results[2]}")


async def ctx_reply_order(w: WorkerSession) -> None:
    """Ten concurrent calls, answered in reverse order: each must get its own reply (by call_id)."""
    n = 10
    await w.send(invoke_message("i1", API, api_payload({"n": n})))
    calls: list[pb.CtxCall] = []
    while len(calls) < n:
        msg = (await w.recv(10, f"{n} concurrent state.get calls")).message
        if msg.WhichOneof("kind") == "call":
            calls.append(msg.call)
        elif msg.WhichOneof("kind") == "result":
            raise ConformanceFailure(f"the result came after {len(calls)} of {n} calls, before their replies")
    keys = sorted(c.state.key for c in calls)
    expect(keys == sorted(f"k{i}" for i in range(n)), f"keys asked: {keys}")
    for call in reversed(calls):
        await w.send(
            pb.HostMessage(
                reply=pb.CtxReply(call_id=call.call_id, value_json=json.dumps("v-" + call.state.key).encode())
            )
        )
    trace = await w.collect("i1")
    values = json_body(ok_response(trace)).get("values")
    expect(values == [f"v-k{i}" for i in range(n)], f"each call must get its own reply: got {values}")


async def result_waits_for_unawaited_calls(w: WorkerSession) -> None:
    """A ctx call the handler did not await: its CtxCall comes before the result, and the
    result waits for its reply (else the host, reading the result first, refuses the call)."""
    await w.send(invoke_message("i1", API, api_payload({})))
    msg = (await w.recv(10, "the un-awaited emit's CtxCall")).message
    while msg.WhichOneof("kind") == "log":
        msg = (await w.recv(10, "the un-awaited emit's CtxCall")).message
    expect(msg.WhichOneof("kind") == "call", f"expected the emit's CtxCall before anything else, got {describe(msg)}")
    expect(msg.call.WhichOneof("op") == "emit", f"expected an emit call, got {describe_call(msg.call)}")
    if (early := await w.next_within(0.5)) is not None:
        raise ConformanceFailure(f"the worker sent {describe(early)} before the emit's CtxReply (W-INV-5)")
    await w.send(pb.HostMessage(reply=pb.CtxReply(call_id=msg.call.call_id, value_json=b"null")))
    trace = await w.collect("i1")
    expect(json_body(ok_response(trace)) == {"returned": True}, "the handler's answer")


# ---------------------------------------------------------------------- concurrency and batches


async def concurrent_100(w: WorkerSession) -> None:
    """100 invocations of 300 ms each, sent at once (in one HostBatch to a worker that reads
    batches): all answered, in about 300 ms, not 30 s."""
    started = time.monotonic()
    await w.send(*(invoke_message(f"i{n}", API, api_payload({"ms": 300})) for n in range(100)), batch=True)
    pending = {f"i{n}" for n in range(100)}
    while pending:
        msg = (await w.recv(15, f"{len(pending)} more results")).message
        if msg.WhichOneof("kind") == "result":
            expect(msg.result.invocation_id in pending, f"a result for {msg.result.invocation_id!r}, not pending")
            expect(msg.result.WhichOneof("outcome") == "ok", f"{msg.result.invocation_id} failed: {msg.result}")
            pending.discard(msg.result.invocation_id)
    elapsed = time.monotonic() - started
    expect(elapsed < 10, f"100 concurrent 300 ms invocations took {elapsed:.1f} s: they ran one after another")


async def no_batches_unless_announced(w: WorkerSession) -> None:
    """A Welcome without "batch": the worker sends no WorkerBatch, even with 50 results at once."""
    await w.send(*(invoke_message(f"i{n}", API, api_payload({"ms": 100})) for n in range(50)))
    pending = {f"i{n}" for n in range(50)}
    while pending:
        item = await w.recv(15, f"{len(pending)} more results")
        expect(
            not item.in_batch, f"a WorkerBatch to a host that did not announce batches (held {describe(item.message)})"
        )
        if item.message.WhichOneof("kind") == "result":
            pending.discard(item.message.result.invocation_id)


# ---------------------------------------------------------------------- cancellation, liveness, drain


async def cancel_running(w: WorkerSession) -> None:
    await w.send(invoke_message("i1", API, api_payload({"ms": 30000})))
    await asyncio.sleep(0.3)
    sent = time.monotonic()
    await w.send(pb.HostMessage(cancel=pb.Cancel(invocation_id="i1", reason="deadline")))
    trace = await w.collect("i1", timeout_s=2.0)
    error = error_of(trace)
    expect(error.code == "CANCELLED", f"a cancelled invocation must end with CANCELLED, got {error.code!r}")
    expect(time.monotonic() - sent < 2.0, "the CANCELLED answer came after the 2 s grace period")


async def cancel_unknown_is_ignored(w: WorkerSession) -> None:
    await w.send(pb.HostMessage(cancel=pb.Cancel(invocation_id="never-sent", reason="deadline")))
    await w.send(pb.HostMessage(ping=pb.Ping(seq=7)))
    msg = (await w.recv(2, "Pong after a Cancel of an unknown invocation")).message
    expect(msg.WhichOneof("kind") == "pong", f"expected only Pong (the Cancel gets no reply), got {describe(msg)}")


async def ping_pong(w: WorkerSession) -> None:
    for seq in (1, 2**40, 3):
        await w.send(pb.HostMessage(ping=pb.Ping(seq=seq)))
        msg = (await w.recv(1.0, f"Pong {seq}")).message
        expect(msg.WhichOneof("kind") == "pong", f"expected Pong, got {describe(msg)}")
        expect(msg.pong.seq == seq, f"Pong.seq: expected {seq}, got {msg.pong.seq}")


async def pong_while_busy(w: WorkerSession) -> None:
    """Heartbeats are answered while handlers run (the reader never waits for user code)."""
    await w.send(*(invoke_message(f"i{n}", API, api_payload({"ms": 2000})) for n in range(5)))
    await asyncio.sleep(0.2)
    await w.send(pb.HostMessage(ping=pb.Ping(seq=99)))
    while True:
        msg = (await w.recv(1.0, "Pong while five handlers sleep")).message
        if msg.WhichOneof("kind") == "pong":
            expect(msg.pong.seq == 99, f"Pong.seq: expected 99, got {msg.pong.seq}")
            return


async def drain_finishes_work(w: WorkerSession) -> None:
    await w.send(invoke_message("i1", API, api_payload({"ms": 300})))
    await asyncio.sleep(0.1)
    await w.send(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int((time.time() + 5) * 1000))))
    trace = await w.collect("i1", timeout_s=5)
    expect(trace.result.WhichOneof("outcome") == "ok", f"work in flight at Drain must finish: {trace.result}")
    while True:
        msg = (await w.recv(5, "Drained")).message
        if msg.WhichOneof("kind") == "drained":
            break
        expect(
            msg.WhichOneof("kind") in ("log", "pong"), f"after the last result, expected Drained, got {describe(msg)}"
        )
    drained_at = time.monotonic()
    code = await w.wait_exit(3)
    expect(code is not None, "the worker still runs 3 s after Drained (it must exit within 1 s, W-DRAIN-4)")
    # 1 s is the rule; the margin is for a loaded machine (the host itself waits 1 s, then kills)
    expect(
        time.monotonic() - drained_at < 2.0, f"the worker exited {time.monotonic() - drained_at:.1f} s after Drained"
    )


async def drain_deadline_cancels(w: WorkerSession) -> None:
    await w.send(invoke_message("i1", API, api_payload({"ms": 60000})))
    await asyncio.sleep(0.2)
    await w.send(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int((time.time() + 1.5) * 1000))))
    trace = await w.collect("i1", timeout_s=4)
    error = error_of(trace)
    expect(error.code == "CANCELLED", f"work still running at the drain deadline must end CANCELLED, got {error.code}")
    msg = (await w.recv(3, "Drained")).message
    expect(msg.WhichOneof("kind") == "drained", f"expected Drained, got {describe(msg)}")


async def second_drain_ignored(w: WorkerSession) -> None:
    """A second Drain changes nothing: one Drained, after the work in flight (W-DRAIN-5)."""
    await w.send(invoke_message("i1", API, api_payload({"ms": 300})))
    await asyncio.sleep(0.1)
    deadline = pb.Drain(deadline_unix_ms=int((time.time() + 5) * 1000))
    await w.send(pb.HostMessage(drain=deadline), pb.HostMessage(drain=deadline))
    drained = 0
    try:
        while True:
            msg = (await w.recv(3, "the end of the stream after Drained")).message
            drained += msg.WhichOneof("kind") == "drained"
    except StreamEnded:
        pass
    expect(drained == 1, f"expected one Drained for two Drains, got {drained}")


async def uninterruptible_handler_is_not_answered(w: WorkerSession) -> None:
    """A handler that cannot be stopped keeps its invocation open after a Cancel: no CANCELLED
    answer while it still runs, so the host's kill ends it (W-CANCEL-2)."""
    await w.send(invoke_message("i1", API, api_payload({})))
    await asyncio.sleep(0.3)
    await w.send(pb.HostMessage(cancel=pb.Cancel(invocation_id="i1", reason="deadline")))
    ends = time.monotonic() + 2.5
    while (left := ends - time.monotonic()) > 0:
        try:
            msg = await w.next_within(left)
        except StreamEnded:
            raise ConformanceFailure("the worker ended its stream while its handler still ran") from None
        if msg is None:
            return  # silence until the host would kill it: right
        expect(
            msg.WhichOneof("kind") != "result",
            f"the worker answered an invocation whose handler still runs: {describe(msg)}",
        )


async def exits_when_stream_ends(w: WorkerSession) -> None:
    await w.send(invoke_message("i1", API, api_payload({"ms": 60000})))
    await asyncio.sleep(0.2)
    w.end_stream()
    code = await w.wait_exit(5)
    expect(code is not None, "the worker still runs 5 s after the host ended its stream (W-EXIT-1)")


async def exits_when_host_vanishes(w: WorkerSession) -> None:
    """The host dies without ending the stream (its server stops at once, the socket goes): the
    heartbeats and everything else are gone, and the worker must not outlive it."""
    own = FakeHost()  # a host of its own, so stopping it leaves the other checks' host alone
    await own.start()
    other = WorkerSession(own, w.command, w.file, w.project)
    try:
        await other.start()
        await other.ready()
        await other.send(invoke_message("i1", API, api_payload({"ms": 60000})))
        await asyncio.sleep(0.2)
        await own.rpc.stop(0)
        code = await other.wait_exit(10)
        expect(code is not None, "the worker still runs 10 s after its host vanished (W-EXIT-1)")
    finally:
        await other.close()
        await own.stop()


async def sigterm_mid_invocation(w: WorkerSession) -> None:
    await w.send(invoke_message("i1", API, api_payload({"ms": 60000})))
    await asyncio.sleep(0.2)
    w.signal(signal.SIGTERM)
    code = await w.wait_exit(5)
    expect(code is not None, "the worker still runs 5 s after SIGTERM (W-SIG-1)")


async def sigkill_mid_invocation(w: WorkerSession) -> None:
    await w.send(invoke_message("i1", API, api_payload({"ms": 60000})))
    await asyncio.sleep(0.2)
    w.signal(signal.SIGKILL)
    code = await w.wait_exit(5)
    expect(code == -signal.SIGKILL, f"expected the worker killed by SIGKILL, got exit {code}")
    try:
        msg = await w.recv(5, "the end of the stream")
        raise ConformanceFailure(f"a killed worker sent {describe(msg.message)}")
    except StreamEnded:
        pass


# field 2047 of HostMessage, a varint: unknown to revision 1 (and to any proto of it)
UNKNOWN_FIELD = b"\xf8\x7f\x01"


async def unknown_fields_and_kinds_are_ignored(w: WorkerSession) -> None:
    """A Ping carrying a field the worker does not know, and a host message of no known kind
    (alone and inside a HostBatch): the worker answers the Ping and goes on (W-VER-1, W-VER-2)."""
    ping = pb.HostMessage.FromString(pb.HostMessage(ping=pb.Ping(seq=11)).SerializeToString() + UNKNOWN_FIELD)
    no_kind = pb.HostMessage.FromString(UNKNOWN_FIELD)
    await w.send(no_kind)
    await w.send(ping)
    msg = (await w.recv(2, "Pong 11")).message
    expect(msg.WhichOneof("kind") == "pong" and msg.pong.seq == 11, f"expected Pong 11, got {describe(msg)}")
    if w.reads_batches:
        await w.send(no_kind, pb.HostMessage(ping=pb.Ping(seq=12)), batch=True)
        msg = (await w.recv(2, "Pong 12")).message
        expect(msg.WhichOneof("kind") == "pong" and msg.pong.seq == 12, f"expected Pong 12, got {describe(msg)}")
    await ping_pong(w)


async def duplicate_invoke_runs_once(w: WorkerSession) -> None:
    """The same invocation id twice while it runs: it runs once, one result (W-INV-4)."""
    invoke = invoke_message("i1", API, api_payload({"ms": 300}))
    await w.send(invoke)
    await w.send(invoke)
    results = 0
    ends = time.monotonic() + 2.0
    while (left := ends - time.monotonic()) > 0 and (msg := await w.next_within(left)) is not None:
        results += msg.WhichOneof("kind") == "result"
    expect(results == 1, f"two Invokes with one id while it ran gave {results} results, expected 1")


async def malformed_payload(w: WorkerSession) -> None:
    """An Invoke whose payload is not JSON gets exactly one error result; the worker lives on."""
    trace = await w.invoke("i1", API, None, raw_payload=b"{not json")
    error = error_of(trace)
    expect(
        error.code == "INVALID_ARGUMENT",
        f"Error.code for a payload that is not JSON: {error.code!r} (SHOULD be INVALID_ARGUMENT)",
    )
    await ping_pong(w)


async def unknown_trigger(w: WorkerSession) -> None:
    trace = await w.invoke("i1", 99, {})
    error = error_of(trace)
    expect(bool(error.code), "an Invoke with an unknown trigger must get an error result with a code")
    await ping_pong(w)


async def large_payload(w: WorkerSession) -> None:
    """A 4 MiB body is echoed whole (W-CONN-3: channel limits of 64 MiB)."""
    big = "✓" * (4 * 1024 * 1024 // 3)
    trace = await w.invoke("i1", API, api_payload({"big": big}), timeout_s=30)
    got = json_body(ok_response(trace))
    expect(got.get("body", {}).get("big") == big, "the 4 MiB body did not come back whole")


async def past_deadline_still_runs(w: WorkerSession) -> None:
    """An Invoke whose deadline already passed by the worker's clock still runs: only the
    host's Cancel ends an invocation (W-DEADLINE-1)."""
    deadline = int((time.time() - 5) * 1000)
    trace = await w.invoke("i1", API, api_payload({"late": True}), deadline_unix_ms=deadline)
    got = json_body(ok_response(trace))
    expect(got.get("body") == {"late": True}, f"the echoed body: {got}")


async def until_pong(w: WorkerSession, seq: int, timeout_s: float, what: str) -> None:
    """Read until the Pong of `seq`; results and logs may come first, Drained must not."""
    ends = time.monotonic() + timeout_s
    while True:
        msg = (await w.recv(max(0.01, ends - time.monotonic()), f"Pong {seq} {what}")).message
        kind = msg.WhichOneof("kind")
        if kind == "pong" and msg.pong.seq == seq:
            return
        expect(kind in ("result", "log", "pong"), f"waiting for Pong {seq} {what}, got {describe(msg)}")


async def pong_after_cancel_and_while_draining(w: WorkerSession) -> None:
    await w.send(*(invoke_message(f"i{n}", API, api_payload({"ms": 60000})) for n in (1, 2)))
    await asyncio.sleep(0.2)
    await w.send(pb.HostMessage(cancel=pb.Cancel(invocation_id="i1", reason="deadline")))
    await w.send(pb.HostMessage(ping=pb.Ping(seq=21)))
    await until_pong(w, 21, 1.0, "after a Cancel")
    await w.send(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int((time.time() + 4) * 1000))))
    await asyncio.sleep(0.2)
    await w.send(pb.HostMessage(ping=pb.Ping(seq=22)))
    await until_pong(w, 22, 1.0, "while draining, before Drained")


# ---------------------------------------------------------------------- handshake and launch


async def nothing_but_logs_before_welcome(w: WorkerSession) -> None:
    """The Welcome came 3 s after the Hello (see the check's hold_welcome_s): meanwhile only
    Logs, and the worker waited instead of giving up."""
    early = [describe(m) for m in w.before_welcome if m.WhichOneof("kind") != "log"]
    expect(not early, f"before Welcome the worker sent {early} (only Log is allowed)")
    await api_echo(w)


async def unknown_capabilities_ignored(w: WorkerSession) -> None:
    """The Welcome announced capabilities no revision defines: the worker works as usual."""
    await api_echo(w)
    await ping_pong(w)


async def bare_environment(w: WorkerSession) -> None:
    """Started with the five variables and PATH only (no HOME, LANG, ...): Unicode still round-trips."""
    await api_unicode(w)


async def one_connect_in_its_life(w: WorkerSession) -> None:
    """The host ends the stream: the worker exits and never dials again (W-CONN-5)."""
    opened = w.host.rpc.streams_opened
    w.end_stream()
    code = await w.wait_exit(5)
    expect(code is not None, "the worker still runs 5 s after the host ended its stream (W-EXIT-1)")
    again = w.host.rpc.streams_opened - opened
    expect(again == 0, f"after its stream ended the worker opened {again} more stream(s)")


# ---------------------------------------------------------------------- edges of results, errors and ctx (Edge)


def edge(case: str) -> dict[str, Any]:
    return api_payload({"case": case})


async def ctx_invocation_fields(w: WorkerSession) -> None:
    trace = await w.invoke("i1", API, edge("context"), trace_id="trace-ctx-✓", attempt=3, event_id="ev-9")
    got = json_body(ok_response(trace))
    expected = {"traceId": "trace-ctx-✓", "flows": ["conformance"], "attempt": 3, "eventId": "ev-9"}
    expect(got == expected, f"what ctx gave the handler: expected {expected}, got {got}")
    trace = await w.invoke("i2", API, edge("context"), attempt=0)
    got = json_body(ok_response(trace))
    expect(got.get("attempt") == 1, f"Invoke.attempt 0 must reach ctx as 1, got {got.get('attempt')!r}")


async def api_header_shapes(w: WorkerSession) -> None:
    response = ok_response(await w.invoke("i1", API, edge("headers")))
    pairs = [(h.name.lower(), h.value) for h in response.headers]
    cookies = [value for name, value in pairs if name == "set-cookie"]
    expect(cookies == ["a=1", "b=2"], f"a list header value is one Header per element, in order: got {pairs}")
    expect(("x-num", "7") in pairs, f"a number header value is sent as its text '7': got {pairs}")
    expect(("x-bool", "true") in pairs, f"a boolean header value is sent as 'true': got {pairs}")
    expect(all(name != "x-null" for name, _ in pairs), f"a null header value is skipped: got {pairs}")
    error = error_of(await w.invoke("i2", API, edge("badHeaders")))
    expect(error.code == "INVALID_RESPONSE", f"headers that are not an object: expected INVALID_RESPONSE, got {error}")


async def api_body_shapes(w: WorkerSession) -> None:
    response = ok_response(await w.invoke("i1", API, edge("nullBody")))
    kind = pb.BodyKind.Name(response.body_kind)
    expect(response.body_kind == pb.BODY_KIND_JSON, f"a null body is BODY_KIND_JSON, got {kind}")
    expect(response.body == b"null", f"a null body is the JSON null, got {response.body!r}")
    response = ok_response(await w.invoke("i2", API, edge("noBody")))
    expect(response.status == 202, f"status: expected 202, got {response.status}")
    kind = pb.BodyKind.Name(response.body_kind)
    expect(response.body_kind == pb.BODY_KIND_EMPTY, f"no body is BODY_KIND_EMPTY, got {kind}")
    expect(response.body == b"", f"with BODY_KIND_EMPTY the body must be empty, got {response.body!r}")
    error = error_of(await w.invoke("i3", API, edge("cycle")))
    expect(error.code == "INVALID_RESPONSE", f"a body JSON cannot hold (a cycle): expected INVALID_RESPONSE, {error}")
    await ping_pong(w)


async def values_json_cannot_hold(w: WorkerSession) -> None:
    """A date in a result and in a ctx call: converted to JSON text, or refused with the right code."""
    result = (await w.invoke("i1", API, edge("date"))).result
    if result.WhichOneof("outcome") == "ok":
        at = json_body(result.ok.response).get("at")
        expect(isinstance(at, str) and "2020" in at, f"a date in a result must become text, got {at!r}")
    else:
        code = result.error.code
        expect(code == "INVALID_RESPONSE", f"a date in a result: converted or INVALID_RESPONSE, got {code!r}")
    trace = await w.invoke("i2", API, edge("stateDate"))
    got = json_body(ok_response(trace))
    if trace.calls:
        value = json.loads(trace.calls[0].state.value_json or b"null")
        at = value.get("at") if isinstance(value, dict) else None
        expect(isinstance(at, str) and "2020" in at, f"a date in a state.set must become text, got {value!r}")
        expect(got == {"sent": True}, f"the handler saw {got} for a state.set that was sent")
    else:
        expect(
            got == {"error": "INVALID_ARGUMENT"},
            f"a date refused in a ctx call: INVALID_ARGUMENT, the handler saw {got}",
        )


async def thrown_values(w: WorkerSession) -> None:
    """Where the language can throw a value that is not an exception (JS), the worker answers
    HANDLER_ERROR with the value's text and lives on."""
    for n, (case, text) in enumerate((("throwString", "boom-string"), ("throwObject", '{"x":1}'))):
        error = error_of(await w.invoke(f"i{n}", API, edge(case)))
        expect(error.code == "HANDLER_ERROR", f"{case}: expected HANDLER_ERROR, got {error.code!r}")
        expect(error.message == text, f"{case}: Error.message must be {text!r}, got {error.message!r}")
    await ping_pong(w)


async def uncaught_ctx_error(w: WorkerSession) -> None:
    answers = scripted([("error", "STORAGE_UNAVAILABLE", "redis is down ✓")])
    error = error_of(await w.invoke("i1", API, edge("uncaught"), answers=answers))
    expect(error.code == "HANDLER_ERROR", f"an uncaught ctx error: expected HANDLER_ERROR, got {error.code!r}")
    expect(error.name == "StepError", f"an uncaught ctx error: Error.name must be StepError, got {error.name!r}")
    expected = "STORAGE_UNAVAILABLE: redis is down ✓"
    expect(error.message == expected, f"Error.message: expected {expected!r}, got {error.message!r}")


async def odd_log_fields(w: WorkerSession) -> None:
    """Log fields JSON cannot hold (a cycle, a big integer, an object): the Log is sent with
    them as text and the handler goes on."""
    trace = await w.invoke("i1", API, edge("oddLog"))
    expect(json_body(ok_response(trace)) == {"logged": True}, "the handler must go on after the log call")
    logs = [log for log in trace.logs if log.msg == "odd fields"]
    expect(len(logs) == 1, f"expected the Log 'odd fields', got {[log.msg for log in trace.logs]}")
    fields = json.loads(logs[0].fields_json or b"null")
    expect(
        isinstance(fields, dict) and {"cycle", "big", "obj"} <= set(fields),
        f"Log.fields_json must keep the fields cycle, big and obj (as text where JSON cannot hold them): {fields!r}",
    )


async def no_call_after_the_result(w: WorkerSession) -> None:
    """A timer of the handler calls state.set 200 ms after its result: refused in the worker,
    never sent (W-CTX-3)."""
    trace = await w.invoke("i1", API, edge("late"))
    expect(json_body(ok_response(trace)) == {"returned": True}, "the handler's answer")
    ends = time.monotonic() + 1.0
    while (left := ends - time.monotonic()) > 0 and (msg := await w.next_within(left)) is not None:
        expect(msg.WhichOneof("kind") != "call", f"a ctx call after its invocation's result: {describe(msg)}")


async def no_call_after_cancel(w: WorkerSession) -> None:
    """A cancelled handler that calls state.set while it unwinds: the call is refused in the
    worker with CANCELLED, never sent (W-CTX-3, W-CANCEL-1)."""
    await w.send(invoke_message("i1", API, edge("afterCancel")))
    await asyncio.sleep(0.3)
    await w.send(pb.HostMessage(cancel=pb.Cancel(invocation_id="i1", reason="deadline")))
    trace = await w.collect("i1", timeout_s=3)
    expect(not trace.calls, f"a cancelled invocation sent {[describe_call(c) for c in trace.calls]}")
    error = error_of(trace)
    expect(error.code == "CANCELLED", f"expected CANCELLED, got {error.code!r}")
    if (late := await w.next_within(0.5)) is not None:
        expect(late.WhichOneof("kind") != "call", f"a ctx call after its invocation was cancelled: {describe(late)}")


async def stray_and_broken_replies(w: WorkerSession) -> None:
    """A CtxReply for a call_id nobody waits for is ignored; a reply whose value_json is not
    JSON fails its call with INTERNAL (W-CTX-6)."""
    await w.send(reply_message(987_654_321, "value", {"stray": True}))
    await ping_pong(w)
    ops: list[dict[str, Any]] = [
        {"op": "state.get", "group": "g", "key": "k"},
        {"op": "state.get", "group": "g", "key": "k2"},
    ]
    results, _ = await run_ops(w, ops, [("raw", b"{not json"), 5])
    code = (results[0].get("error") or {}).get("code")
    expect(
        code == "INTERNAL", f"a reply that is not JSON must fail its call with INTERNAL, the handler saw {results[0]}"
    )
    expect(results[1].get("value") == 5, f"the next call must still work: {results[1]}")


async def messages_in_order(w: WorkerSession) -> None:
    """Logs and ctx calls leave in the order user code made them (W-ORDER-1)."""
    ops: list[dict[str, Any]] = [
        {"op": "log", "level": "info", "msg": "a", "fields": {}},
        {"op": "state.set", "group": "g", "key": "k", "value": 1},
        {"op": "log", "level": "info", "msg": "b", "fields": {}},
        {"op": "emit", "topic": "conf.topic", "data": {}},
        {"op": "log", "level": "info", "msg": "c", "fields": {}},
    ]
    _, trace = await run_ops(w, ops, [1, None])
    seen = [
        r.message.log.msg if r.message.WhichOneof("kind") == "log" else str(r.message.WhichOneof("kind"))
        for r in trace.received
    ]
    expected = ["a", "call", "b", "call", "c", "result"]
    expect(seen == expected, f"the invocation's messages in order: expected {expected}, got {seen}")


# ---------------------------------------------------------------------- user code that cannot be stopped (Stuck)


async def drain_deadline_with_stuck_handler(w: WorkerSession) -> None:
    """At the drain deadline the worker answers CANCELLED for a handler it cannot stop, sends
    Drained and exits: its exit is what stops that handler (W-CANCEL-6)."""
    await w.send(invoke_message("i1", API, api_payload({})))
    await asyncio.sleep(0.3)
    await w.send(pb.HostMessage(drain=pb.Drain(deadline_unix_ms=int((time.time() + 1) * 1000))))
    result: pb.InvocationResult | None = None
    drained = False
    try:
        # the host kills it 1 s after the deadline; the margin is for a loaded machine
        while not drained:
            msg = (await w.recv(3.5, "CANCELLED and Drained at the drain deadline")).message
            kind = msg.WhichOneof("kind")
            if kind == "result":
                result = msg.result
            drained = kind == "drained"
    except StreamEnded:
        pass
    expect(result is not None, "no result for the invocation whose handler cannot be stopped, by the drain deadline")
    assert result is not None
    code = result.error.code if result.WhichOneof("outcome") == "error" else "an Ok"
    expect(code == "CANCELLED", f"at the drain deadline its result must be CANCELLED, got {code}")
    expect(drained, "no Drained by the drain deadline")
    exit_code = await w.wait_exit(2)
    expect(exit_code is not None, "the worker still runs 2 s after Drained, waiting for a handler it cannot stop")


async def stream_lost_with_stuck_handler(w: WorkerSession) -> None:
    """The host ends the stream while a handler the worker cannot stop runs: the worker exits (W-CANCEL-6)."""
    await w.send(invoke_message("i1", API, api_payload({})))
    await asyncio.sleep(0.3)
    w.end_stream()
    code = await w.wait_exit(5)
    expect(code is not None, "the worker still runs 5 s after its stream ended, waiting for a handler it cannot stop")


# ---------------------------------------------------------------------- sizes

SMALL_LIMIT = 1024 * 1024  # the Welcome of the size checks: 1 MiB


def no_message_over(trace: InvocationTrace, limit: int) -> None:
    sizes = [r.message.ByteSize() for r in trace.received]
    expect(max(sizes, default=0) <= limit, f"the worker sent a message of {max(sizes)} bytes over the {limit} allowed")


async def oversized_result(w: WorkerSession) -> None:
    """With Welcome.max_message_bytes at 1 MiB, a 2 MiB answer is not sent: an error result instead."""
    trace = await w.invoke("i1", API, api_payload({"big": "x" * (2 * SMALL_LIMIT)}), timeout_s=30)
    no_message_over(trace, SMALL_LIMIT)
    error = error_of(trace)
    expect(
        error.code == "INVALID_RESPONSE",
        f"Error.code for an oversized result: {error.code!r} (SHOULD be INVALID_RESPONSE)",
    )
    await ping_pong(w)


async def oversized_ctx_call(w: WorkerSession) -> None:
    """A ctx call over the limit is not sent; it fails in user code with INVALID_ARGUMENT."""
    ops: list[dict[str, Any]] = [
        {"op": "state.set", "group": "g", "key": "k", "value": "x" * (2 * SMALL_LIMIT)},
        {"op": "state.get", "group": "g", "key": "k"},
    ]
    results, trace = await run_ops(w, ops, ["small"])
    expect(
        [c.state.op for c in trace.calls] == [pb.STATE_OP_GET], f"calls sent: {[describe_call(c) for c in trace.calls]}"
    )
    expect((results[0].get("error") or {}).get("code") == "INVALID_ARGUMENT", f"the oversized call gave {results[0]}")
    expect(results[1].get("value") == "small", f"the next call must still work: {results[1]}")


async def oversized_log(w: WorkerSession) -> None:
    """A log line over 1 MiB is cut down, not sent whole (which would get the worker killed)."""
    ops: list[dict[str, Any]] = [{"op": "log", "level": "info", "msg": "y" * (2 * 1024 * 1024), "fields": {}}]
    _, trace = await run_ops(w, ops, [])
    no_message_over(trace, 1024 * 1024)
    expect(len(trace.logs) == 1 and trace.logs[0].msg.startswith("yyyy"), "the long log line must arrive, cut down")


CHECKS: tuple[Check, ...] = (
    Check("api: echo request fields, status and headers", ("W-API-1", "W-API-2", "W-RESULT-1"), "Echo", api_echo),
    Check(
        "api: unicode round trip (accents, CJK, emoji, RTL, NUL)",
        ("W-JSON-1", "W-JSON-2", "W-JSON-3"),
        "Echo",
        api_unicode,
    ),
    Check("api: 4 MiB body", ("W-CONN-3",), "Echo", large_payload),
    Check("api: text body", ("W-API-3",), "Text", api_text),
    Check("api: binary body", ("W-API-3",), "Bytes", api_bytes),
    Check(
        "api: empty body; logs with levels, fields and time",
        ("W-API-3", "W-LOG-1", "W-LOG-2", "W-LOG-3"),
        "Logs",
        api_empty_and_logs,
    ),
    Check("api: middleware in the array's order around the handler", ("W-API-1",), "Middleware", middleware_chain),
    Check("handler error: HANDLER_ERROR with message, name and stack", ("W-ERR-1",), "Boom", handler_error),
    Check("event trigger: data in, state.set out", ("W-EVENT-1", "W-STATE-1"), "OnTopic", event_trigger),
    Check("cron trigger", ("W-CRON-1",), "Tick", cron_trigger),
    Check("stream file: canAccess allows, denies, fails", ("W-ACCESS-1", "W-ERR-1"), "confGuarded", can_access),
    Check(
        "ctx: state get/set/delete/getGroup/clear", ("W-CTX-1", "W-CTX-2", "W-STATE-1", "W-ORDER-2"), "Ctx", ctx_state
    ),
    Check("ctx: emit, with and without a message group", ("W-EMIT-1",), "Ctx", ctx_emit),
    Check("ctx: streams set/get/getGroup/delete/send", ("W-STREAM-1",), "Ctx", ctx_streams),
    Check("ctx: errors reach the handler with their code", ("W-CTX-5", "W-CODE-2"), "Ctx", ctx_errors),
    Check(
        "ctx: replies matched by call_id, not by order",
        ("W-ORDER-4", "W-INV-5", "W-CTX-8"),
        "Parallel",
        ctx_reply_order,
    ),
    Check(
        "ctx: the result waits for an un-awaited call's reply",
        ("W-INV-5", "W-ORDER-3", "W-CTX-8"),
        "Unawaited",
        result_waits_for_unawaited_calls,
    ),
    Check(
        "100 concurrent invocations sent at once (one batch if the worker reads them)",
        ("W-INV-2", "W-CONC-1", "W-BATCH-1", "W-HELLO-6", "W-WELCOME-6"),
        "Slow",
        concurrent_100,
    ),
    Check(
        "no WorkerBatch unless the host's Welcome announced batches",
        ("W-WELCOME-3", "W-BATCH-2", "W-VER-5"),
        "Slow",
        no_batches_unless_announced,
        batch=False,
    ),
    Check("heartbeat: Pong with the Ping's seq", ("W-PING-1", "W-PING-2", "W-WELCOME-6"), "Echo", ping_pong),
    Check("heartbeat: Pong while handlers run", ("W-PING-1", "W-INV-2"), "Slow", pong_while_busy),
    Check(
        "cancel: a running handler ends CANCELLED within 2 s",
        ("W-CANCEL-1", "W-CANCEL-2", "W-CANCEL-5"),
        "Slow",
        cancel_running,
    ),
    Check("cancel: an unknown invocation's Cancel is ignored", ("W-CANCEL-3",), "Echo", cancel_unknown_is_ignored),
    Check(
        "drain: work in flight finishes, then Drained, then exit",
        ("W-DRAIN-1", "W-DRAIN-3", "W-DRAIN-4"),
        "Slow",
        drain_finishes_work,
    ),
    Check("drain: what still runs at the deadline is cancelled", ("W-DRAIN-2",), "Slow", drain_deadline_cancels),
    Check("drain: a second Drain is ignored", ("W-DRAIN-5",), "Slow", second_drain_ignored),
    Check(
        "cancel: a handler that cannot be stopped is not answered",
        ("W-CANCEL-2",),
        "Spin",
        uninterruptible_handler_is_not_answered,
    ),
    Check("exit when the host ends the stream", ("W-EXIT-1",), "Slow", exits_when_stream_ends),
    Check(
        "the host vanishes mid-invocation: the worker exits", ("W-EXIT-1", "W-CTX-7"), "Slow", exits_when_host_vanishes
    ),
    Check("SIGTERM mid-invocation: the worker exits", ("W-SIG-1",), "Slow", sigterm_mid_invocation),
    Check(
        "SIGKILL mid-invocation: the stream ends, nothing more",
        ("W-LAUNCH-4", "H-CRASH-1"),
        "Slow",
        sigkill_mid_invocation,
    ),
    Check(
        "oversized result: not sent, an error result instead",
        ("W-WELCOME-2", "W-SIZE-1", "W-SIZE-2"),
        "Echo",
        oversized_result,
        level="SHOULD",
        max_message_bytes=SMALL_LIMIT,
    ),
    Check(
        "oversized ctx call: not sent, INVALID_ARGUMENT in user code",
        ("W-SIZE-3", "W-CTX-4"),
        "Ctx",
        oversized_ctx_call,
        max_message_bytes=SMALL_LIMIT,
    ),
    Check("oversized log line: cut down to 1 MiB", ("W-SIZE-4", "W-LOG-5"), "Ctx", oversized_log),
    Check(
        "unknown fields and message kinds are ignored",
        ("W-VER-1", "W-VER-2"),
        "Echo",
        unknown_fields_and_kinds_are_ignored,
    ),
    Check("an Invoke repeated while it runs: it runs once", ("W-INV-4", "W-INV-1"), "Slow", duplicate_invoke_runs_once),
    Check(
        "malformed Invoke payload: one INVALID_ARGUMENT result, worker lives",
        ("W-INV-1", "W-INV-6"),
        "Echo",
        malformed_payload,
        level="SHOULD",
    ),
    Check(
        "unknown trigger: one error result, worker lives",
        ("W-INV-1", "W-INV-6", "W-VER-2", "W-VER-4"),
        "Echo",
        unknown_trigger,
    ),
    Check(
        "Welcome held 3 s: the worker waits, sending nothing but Log",
        ("W-WELCOME-1",),
        "Echo",
        nothing_but_logs_before_welcome,
        hold_welcome_s=3.0,
    ),
    Check(
        "Welcome with capabilities no revision defines: ignored",
        ("W-VER-3",),
        "Echo",
        unknown_capabilities_ignored,
        extra_capabilities=(("conformance.future", "7"), ("batch.v9", "1")),
    ),
    Check(
        "launch: the five variables and PATH, nothing else",
        ("W-LAUNCH-1", "W-LAUNCH-3"),
        "Echo",
        bare_environment,
        bare_env=True,
    ),
    Check(
        "one Connect in its life: no reconnect after the stream ends", ("W-CONN-5",), "Echo", one_connect_in_its_life
    ),
    Check("a deadline already passed: the handler still runs", ("W-DEADLINE-1",), "Echo", past_deadline_still_runs),
    Check(
        "heartbeat: Pong after a Cancel and while draining",
        ("W-PING-4", "W-DRAIN-1"),
        "Slow",
        pong_after_cancel_and_while_draining,
    ),
    Check("ctx: traceId, flows, attempt and eventId", ("W-INV-3",), "Edge", ctx_invocation_fields),
    Check("api: list, null, number and boolean header values", ("W-API-4",), "Edge", api_header_shapes),
    Check("api: null body, no body, a body JSON cannot hold", ("W-API-5",), "Edge", api_body_shapes),
    Check("values JSON cannot hold: converted or refused", ("W-JSON-6",), "Edge", values_json_cannot_hold),
    Check("handler error: a thrown value that is not an exception", ("W-ERR-3",), "Edge", thrown_values),
    Check("handler error: an uncaught ctx error", ("W-ERR-4",), "Edge", uncaught_ctx_error),
    Check("log: fields JSON cannot hold", ("W-LOG-4",), "Edge", odd_log_fields),
    Check("ctx: no call after the handler's result", ("W-CTX-3",), "Edge", no_call_after_the_result),
    Check("ctx: no call after a Cancel", ("W-CTX-3", "W-CANCEL-1"), "Edge", no_call_after_cancel),
    Check(
        "ctx: a stray reply is ignored, a reply that is not JSON fails", ("W-CTX-6",), "Ctx", stray_and_broken_replies
    ),
    Check("logs and ctx calls in the order user code made them", ("W-ORDER-1",), "Ctx", messages_in_order),
    Check(
        "drain deadline: the worker exits though a handler cannot be stopped",
        ("W-CANCEL-6", "W-DRAIN-2"),
        "Stuck",
        drain_deadline_with_stuck_handler,
    ),
    Check(
        "stream lost: the worker exits though a handler cannot be stopped",
        ("W-CANCEL-6", "W-EXIT-1"),
        "Stuck",
        stream_lost_with_stuck_handler,
    ),
)

# The rules the driver watches on every message of every session (session.message_violations,
# session.output_problem): a break fails the check it happens in and the run's own line.
EVERY_MESSAGE_RULES = (
    "W-WELCOME-1",
    "W-VER-5",
    "W-BATCH-3",
    "W-BATCH-4",
    "W-CODE-1",
    "W-ERR-5",
    "W-JSON-1",
    "W-API-5",
    "W-OUT-1",
)
