"""JSON encoding of user values: the standard-library conversions the worker uses
while pydantic-core is not loaded must write exactly what pydantic-core writes."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import json
import pathlib
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
import pydantic_core
import pytest

from stephost_sdk import encoding


class Colour(enum.Enum):
    RED = "red"
    ONE = 1
    NOTHING = None


class Shape(enum.Enum):
    SQUARE = (1, 2)  # a value that is not a JSON scalar: left to pydantic-core


class Level(enum.IntEnum):
    HIGH = 3


class Perm(enum.Flag):
    READ = 1


@dataclasses.dataclass
class Line:
    sku: str
    quantity: int
    shipped: dt.date = dt.date(2024, 1, 2)
    tags: list[str] = dataclasses.field(default_factory=list)
    meta: dict[Any, Any] = dataclasses.field(default_factory=dict)
    hidden: int = dataclasses.field(default=7, repr=False)
    computed: int = dataclasses.field(init=False, default=9)


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclasses.dataclass
class Order:
    lines: list[Line]
    at: dt.datetime
    point: Point | None = None


class Unset:
    pass


@dataclasses.dataclass
class Lazy:
    value: int = dataclasses.field(init=False)  # never set: no attribute at all


class MyDateTime(dt.datetime):
    pass


@pydantic.dataclasses.dataclass
class PydanticLine:
    sku: str

    @pydantic.field_serializer("sku")
    def _upper(self, sku: str) -> str:
        return sku.upper()


UTC = dt.UTC
VALUES: list[Any] = [
    dt.datetime(2024, 5, 6, 7, 8, 9),
    dt.datetime(2024, 5, 6, 7, 8, 9, 500000),
    dt.datetime(2024, 5, 6, 7, 8, 9, 123),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=UTC),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-23, minutes=-59))),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(seconds=3661))),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(seconds=-3661))),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(microseconds=-1))),
    dt.datetime(2024, 6, 1, 12, tzinfo=ZoneInfo("Europe/Paris")),
    dt.datetime(2024, 1, 1, 12, tzinfo=ZoneInfo("Europe/London")),
    dt.datetime(2024, 1, 1, 12, tzinfo=ZoneInfo("UTC")),
    dt.datetime(2024, 1, 1, 12, tzinfo=ZoneInfo("Asia/Kolkata")),
    MyDateTime(2024, 1, 1),
    dt.date(2024, 5, 6),
    dt.date(1, 1, 1),
    dt.time(7, 8, 9),
    dt.time(0, 0),
    dt.time(7, 8, 9, 10),
    dt.time(7, 8, 9, tzinfo=UTC),
    dt.time(7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.time(7, 8, 9, tzinfo=dt.timezone(dt.timedelta(seconds=30))),
    dt.time(7, 8, 9, tzinfo=ZoneInfo("Europe/Paris")),
    dt.timedelta(days=1, seconds=3661, microseconds=5),
    uuid.UUID(int=1),
    uuid.uuid4(),
    decimal.Decimal("9.90"),
    decimal.Decimal("1E+2"),
    decimal.Decimal("-0"),
    decimal.Decimal("NaN"),
    decimal.Decimal("Infinity"),
    decimal.Decimal("123456789012345678901234567890.123456789"),
    Colour.RED,
    Colour.ONE,
    Colour.NOTHING,
    Shape.SQUARE,
    Level.HIGH,
    Perm.READ,
    {1, 2, 3, 100, -5},
    {"b", "a", "c"},
    frozenset({1.5, None, True, "x"}),
    {(1, 2), (3, 4)},
    {dt.date(2024, 1, 1)},
    {Point(1, 2)},
    {Unset()},
    Line("a-1", 2),
    Line("a-1", 2, tags=["x", "y"], meta={"k": [1, {"n": None}], "d": dt.date(2020, 1, 1)}),
    Line("a-1", 2, meta={1: "int key"}),
    Line("a-1", 2, meta={None: "none key"}),
    Line("a-1", 2, meta={uuid.UUID(int=2): "uuid key"}),
    Line("a-1", 2, meta={"inf": float("inf")}),
    Line("a-1", 2, meta={"set": {1, 2}}),
    Line("a-1", 2, meta={"odd": Unset()}),
    Line("a-1", 2, tags=collections.deque(["q"])),  # type: ignore[arg-type]
    Order([Line("a", 1), Line("b", 2, shipped=dt.date(2025, 2, 3))], dt.datetime(2024, 1, 1, tzinfo=UTC), Point(0, 1)),
    Lazy(),
    b"bytes",
    bytearray(b"ba"),
    pathlib.PurePosixPath("/a/b"),
    complex(1, 2),
    Unset(),
]


def _pydantic_core_dumps(value: Any) -> str:
    return json.dumps(value, default=pydantic_core.to_jsonable_python)


def _stdlib_first_dumps(value: Any) -> str:
    """What the worker writes while pydantic-core is not loaded (it is in this process)."""

    def default(obj: Any) -> Any:
        converted = encoding._stdlib_jsonable(obj)
        return pydantic_core.to_jsonable_python(obj) if converted is encoding._UNHANDLED else converted

    return json.dumps(value, default=default)


def _outcome(dumps: Any, value: Any) -> tuple[str, str]:
    try:
        return "ok", dumps(value)
    except Exception as exc:
        return "error", type(exc).__name__


@pytest.mark.parametrize("value", VALUES, ids=lambda value: type(value).__name__)
def test_the_stdlib_conversions_write_what_pydantic_core_writes(value: Any) -> None:
    for wrap in (lambda v: v, lambda v: {"nested": [v]}):
        assert _outcome(_stdlib_first_dumps, wrap(value)) == _outcome(_pydantic_core_dumps, wrap(value))


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        dt.date(2024, 5, 6),
        dt.time(7, 8),
        uuid.UUID(int=1),
        decimal.Decimal("9.90"),
        Colour.RED,
        {1, 2},
        Line("a-1", 2, tags=["x"], meta={"at": dt.date(2020, 1, 1)}),
        Order([Line("a", 1)], dt.datetime(2024, 1, 1), Point(0, 1)),
    ],
    ids=lambda value: type(value).__name__,
)
def test_the_common_values_need_no_pydantic_core(value: Any) -> None:
    assert encoding._stdlib_jsonable(value) is not encoding._UNHANDLED


@pytest.mark.parametrize(
    "value",
    [
        dt.timedelta(days=1),
        MyDateTime(2024, 1, 1),
        Shape.SQUARE,
        {Unset()},
        Line("a", 1, meta={None: 1}),
        Lazy(),
        b"bytes",
    ],
    ids=lambda value: type(value).__name__,
)
def test_anything_else_is_left_to_pydantic_core(value: Any) -> None:
    assert encoding._stdlib_jsonable(value) is encoding._UNHANDLED


def test_once_pydantic_core_is_loaded_every_value_goes_through_it_as_before() -> None:
    # It is loaded in this process, as in the worker of any step using pydantic;
    # a pydantic dataclass's own serializer is applied.
    assert encoding.dumps(PydanticLine("p-1")) == b'{"sku":"P-1"}'
    assert encoding.dumps([dt.date(2024, 1, 2), Colour.RED]) == b'["2024-01-02","red"]'


def test_errors_are_unchanged() -> None:
    with pytest.raises(TypeError, match="Unset is not JSON-serialisable"):
        encoding.dumps(Unset())
    with pytest.raises(ValueError):
        encoding.dumps(Line("a", 1, meta={"nan": float("nan")}))
    assert encoding.dumps_lenient({"odd": Unset()}).startswith(b'{"odd":"<')


def test_lenient_json_turns_what_json_cannot_hold_into_text_value_by_value() -> None:
    cycle: dict[str, Any] = {"name": "loop"}
    cycle["self"] = cycle
    shared = [1]
    fields = {
        "cycle": cycle,
        "nan": float("nan"),
        "big": 2**70,
        "when": dt.date(2024, 1, 2),
        "keys": {1: "one"},
        "twice": [shared, shared],  # the same list twice is no cycle
        "odd": Unset(),
    }
    decoded = json.loads(encoding.dumps_lenient(fields))  # strict JSON: no NaN
    assert decoded["cycle"] == {"name": "loop", "self": "[Circular]"}
    assert decoded["nan"] == "nan"
    assert decoded["big"] == 2**70
    assert decoded["when"] == "2024-01-02"
    assert decoded["keys"] == {"1": "one"}
    assert decoded["twice"] == [[1], [1]]
    assert decoded["odd"].startswith("<")
