from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TriggerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_KIND_UNSPECIFIED: _ClassVar[TriggerKind]
    TRIGGER_KIND_API: _ClassVar[TriggerKind]
    TRIGGER_KIND_EVENT: _ClassVar[TriggerKind]
    TRIGGER_KIND_CRON: _ClassVar[TriggerKind]
    TRIGGER_KIND_CAN_ACCESS: _ClassVar[TriggerKind]
    TRIGGER_KIND_AUTHENTICATE: _ClassVar[TriggerKind]

class BodyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BODY_KIND_UNSPECIFIED: _ClassVar[BodyKind]
    BODY_KIND_JSON: _ClassVar[BodyKind]
    BODY_KIND_TEXT: _ClassVar[BodyKind]
    BODY_KIND_BYTES: _ClassVar[BodyKind]
    BODY_KIND_EMPTY: _ClassVar[BodyKind]

class StateOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATE_OP_UNSPECIFIED: _ClassVar[StateOp]
    STATE_OP_GET: _ClassVar[StateOp]
    STATE_OP_SET: _ClassVar[StateOp]
    STATE_OP_DELETE: _ClassVar[StateOp]
    STATE_OP_GET_GROUP: _ClassVar[StateOp]
    STATE_OP_CLEAR: _ClassVar[StateOp]

class StreamOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STREAM_OP_UNSPECIFIED: _ClassVar[StreamOp]
    STREAM_OP_GET: _ClassVar[StreamOp]
    STREAM_OP_SET: _ClassVar[StreamOp]
    STREAM_OP_DELETE: _ClassVar[StreamOp]
    STREAM_OP_GET_GROUP: _ClassVar[StreamOp]
    STREAM_OP_SEND: _ClassVar[StreamOp]
TRIGGER_KIND_UNSPECIFIED: TriggerKind
TRIGGER_KIND_API: TriggerKind
TRIGGER_KIND_EVENT: TriggerKind
TRIGGER_KIND_CRON: TriggerKind
TRIGGER_KIND_CAN_ACCESS: TriggerKind
TRIGGER_KIND_AUTHENTICATE: TriggerKind
BODY_KIND_UNSPECIFIED: BodyKind
BODY_KIND_JSON: BodyKind
BODY_KIND_TEXT: BodyKind
BODY_KIND_BYTES: BodyKind
BODY_KIND_EMPTY: BodyKind
STATE_OP_UNSPECIFIED: StateOp
STATE_OP_GET: StateOp
STATE_OP_SET: StateOp
STATE_OP_DELETE: StateOp
STATE_OP_GET_GROUP: StateOp
STATE_OP_CLEAR: StateOp
STREAM_OP_UNSPECIFIED: StreamOp
STREAM_OP_GET: StreamOp
STREAM_OP_SET: StreamOp
STREAM_OP_DELETE: StreamOp
STREAM_OP_GET_GROUP: StreamOp
STREAM_OP_SEND: StreamOp

class WorkerMessage(_message.Message):
    __slots__ = ("hello", "load_failure", "result", "call", "log", "pong", "drained", "batch")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    LOAD_FAILURE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    DRAINED_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    load_failure: LoadFailure
    result: InvocationResult
    call: CtxCall
    log: Log
    pong: Pong
    drained: Drained
    batch: WorkerBatch
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., load_failure: _Optional[_Union[LoadFailure, _Mapping]] = ..., result: _Optional[_Union[InvocationResult, _Mapping]] = ..., call: _Optional[_Union[CtxCall, _Mapping]] = ..., log: _Optional[_Union[Log, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ..., drained: _Optional[_Union[Drained, _Mapping]] = ..., batch: _Optional[_Union[WorkerBatch, _Mapping]] = ...) -> None: ...

class HostMessage(_message.Message):
    __slots__ = ("welcome", "invoke", "reply", "cancel", "ping", "drain", "batch")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    INVOKE_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    invoke: Invoke
    reply: CtxReply
    cancel: Cancel
    ping: Ping
    drain: Drain
    batch: HostBatch
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., invoke: _Optional[_Union[Invoke, _Mapping]] = ..., reply: _Optional[_Union[CtxReply, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ..., drain: _Optional[_Union[Drain, _Mapping]] = ..., batch: _Optional[_Union[HostBatch, _Mapping]] = ...) -> None: ...

class WorkerBatch(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[WorkerMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[WorkerMessage, _Mapping]]] = ...) -> None: ...

class HostBatch(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[HostMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[HostMessage, _Mapping]]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("protocol_version", "sdk_name", "sdk_version", "language", "worker_id", "config_json", "capabilities", "middleware_count", "functions", "source_files")
    class CapabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SDK_NAME_FIELD_NUMBER: _ClassVar[int]
    SDK_VERSION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    MIDDLEWARE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILES_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    sdk_name: str
    sdk_version: str
    language: str
    worker_id: str
    config_json: bytes
    capabilities: _containers.ScalarMap[str, str]
    middleware_count: int
    functions: _containers.RepeatedScalarFieldContainer[str]
    source_files: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, protocol_version: _Optional[int] = ..., sdk_name: _Optional[str] = ..., sdk_version: _Optional[str] = ..., language: _Optional[str] = ..., worker_id: _Optional[str] = ..., config_json: _Optional[bytes] = ..., capabilities: _Optional[_Mapping[str, str]] = ..., middleware_count: _Optional[int] = ..., functions: _Optional[_Iterable[str]] = ..., source_files: _Optional[_Iterable[str]] = ...) -> None: ...

class LoadFailure(_message.Message):
    __slots__ = ("worker_id", "error")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    error: Error
    def __init__(self, worker_id: _Optional[str] = ..., error: _Optional[_Union[Error, _Mapping]] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("protocol_version", "step_name", "stream_names", "max_message_bytes", "capabilities")
    class CapabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    STREAM_NAMES_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    step_name: str
    stream_names: _containers.RepeatedScalarFieldContainer[str]
    max_message_bytes: int
    capabilities: _containers.ScalarMap[str, str]
    def __init__(self, protocol_version: _Optional[int] = ..., step_name: _Optional[str] = ..., stream_names: _Optional[_Iterable[str]] = ..., max_message_bytes: _Optional[int] = ..., capabilities: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Invoke(_message.Message):
    __slots__ = ("invocation_id", "trigger", "payload_json", "trace_id", "deadline_unix_ms", "attempt", "event_id", "topic", "flows")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    trigger: TriggerKind
    payload_json: bytes
    trace_id: str
    deadline_unix_ms: int
    attempt: int
    event_id: str
    topic: str
    flows: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, invocation_id: _Optional[str] = ..., trigger: _Optional[_Union[TriggerKind, str]] = ..., payload_json: _Optional[bytes] = ..., trace_id: _Optional[str] = ..., deadline_unix_ms: _Optional[int] = ..., attempt: _Optional[int] = ..., event_id: _Optional[str] = ..., topic: _Optional[str] = ..., flows: _Optional[_Iterable[str]] = ...) -> None: ...

class InvocationResult(_message.Message):
    __slots__ = ("invocation_id", "ok", "error")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    ok: Ok
    error: Error
    def __init__(self, invocation_id: _Optional[str] = ..., ok: _Optional[_Union[Ok, _Mapping]] = ..., error: _Optional[_Union[Error, _Mapping]] = ...) -> None: ...

class Ok(_message.Message):
    __slots__ = ("response", "value_json")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    response: ApiResponse
    value_json: bytes
    def __init__(self, response: _Optional[_Union[ApiResponse, _Mapping]] = ..., value_json: _Optional[bytes] = ...) -> None: ...

class Header(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class ApiResponse(_message.Message):
    __slots__ = ("status", "headers", "body_kind", "body")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_KIND_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    status: int
    headers: _containers.RepeatedCompositeFieldContainer[Header]
    body_kind: BodyKind
    body: bytes
    def __init__(self, status: _Optional[int] = ..., headers: _Optional[_Iterable[_Union[Header, _Mapping]]] = ..., body_kind: _Optional[_Union[BodyKind, str]] = ..., body: _Optional[bytes] = ...) -> None: ...

class Error(_message.Message):
    __slots__ = ("code", "message", "stack", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    stack: str
    name: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ("invocation_id", "reason")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    reason: str
    def __init__(self, invocation_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CtxCall(_message.Message):
    __slots__ = ("call_id", "invocation_id", "emit", "state", "stream")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    EMIT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    invocation_id: str
    emit: EmitCall
    state: StateCall
    stream: StreamCall
    def __init__(self, call_id: _Optional[int] = ..., invocation_id: _Optional[str] = ..., emit: _Optional[_Union[EmitCall, _Mapping]] = ..., state: _Optional[_Union[StateCall, _Mapping]] = ..., stream: _Optional[_Union[StreamCall, _Mapping]] = ...) -> None: ...

class EmitCall(_message.Message):
    __slots__ = ("topic", "data_json", "message_group_id")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    topic: str
    data_json: bytes
    message_group_id: str
    def __init__(self, topic: _Optional[str] = ..., data_json: _Optional[bytes] = ..., message_group_id: _Optional[str] = ...) -> None: ...

class StateCall(_message.Message):
    __slots__ = ("op", "group", "key", "value_json")
    OP_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    op: StateOp
    group: str
    key: str
    value_json: bytes
    def __init__(self, op: _Optional[_Union[StateOp, str]] = ..., group: _Optional[str] = ..., key: _Optional[str] = ..., value_json: _Optional[bytes] = ...) -> None: ...

class StreamCall(_message.Message):
    __slots__ = ("op", "stream", "group_id", "id", "data_json")
    OP_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    op: StreamOp
    stream: str
    group_id: str
    id: str
    data_json: bytes
    def __init__(self, op: _Optional[_Union[StreamOp, str]] = ..., stream: _Optional[str] = ..., group_id: _Optional[str] = ..., id: _Optional[str] = ..., data_json: _Optional[bytes] = ...) -> None: ...

class CtxReply(_message.Message):
    __slots__ = ("call_id", "value_json", "error")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    value_json: bytes
    error: Error
    def __init__(self, call_id: _Optional[int] = ..., value_json: _Optional[bytes] = ..., error: _Optional[_Union[Error, _Mapping]] = ...) -> None: ...

class Log(_message.Message):
    __slots__ = ("invocation_id", "level", "msg", "fields_json", "time_unix_ms")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MSG_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    invocation_id: str
    level: str
    msg: str
    fields_json: bytes
    time_unix_ms: int
    def __init__(self, invocation_id: _Optional[str] = ..., level: _Optional[str] = ..., msg: _Optional[str] = ..., fields_json: _Optional[bytes] = ..., time_unix_ms: _Optional[int] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class Pong(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class Drain(_message.Message):
    __slots__ = ("deadline_unix_ms",)
    DEADLINE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    deadline_unix_ms: int
    def __init__(self, deadline_unix_ms: _Optional[int] = ...) -> None: ...

class Drained(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
