"""The protobuf translation of the stream-related fields."""

from __future__ import annotations

from stephost_proto.v1 import worker_pb2 as pb
from stephost_sdk import wire
from stephost_sdk.messages import Ok, Trigger


def test_hello_lists_the_functions_the_host_may_invoke() -> None:
    message = wire.hello("w-1", b"{}", 0, "stephost-python", "0.1.0", {}, ("canAccess",))

    assert list(message.hello.functions) == ["canAccess"]
    assert list(wire.hello("w-1", b"{}", 0, "stephost-python", "0.1.0", {}).hello.functions) == []


def test_hello_carries_the_source_files_and_none_means_unknown() -> None:
    files = ["/p/steps/a_step.py", "/p/steps/helper.py"]
    message = wire.hello("w-1", b"{}", 0, "stephost-python", "0.1.0", {}, (), files)

    assert list(message.hello.source_files) == files
    assert list(wire.hello("w-1", b"{}", 0, "stephost-python", "0.1.0", {}).hello.source_files) == []


def test_an_ok_with_a_value_carries_value_json_and_no_response() -> None:
    message = wire.result("inv-1", Ok(value_json=b"false"))

    assert message.result.ok.value_json == b"false"
    assert not message.result.ok.HasField("response")
    assert wire.result("inv-2", Ok()).result.ok.value_json == b""


def test_the_new_triggers_are_understood() -> None:
    for kind, trigger in (
        (pb.TRIGGER_KIND_CAN_ACCESS, Trigger.CAN_ACCESS),
        (pb.TRIGGER_KIND_AUTHENTICATE, Trigger.AUTHENTICATE),
    ):
        invocation = wire.invocation_from(pb.Invoke(invocation_id="i", trigger=kind, payload_json=b'{"a":1}'))
        assert (invocation.trigger, invocation.payload) == (trigger, {"a": 1})
