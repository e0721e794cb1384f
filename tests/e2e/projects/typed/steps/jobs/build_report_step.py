"""Build a report: a Python event step whose JSON Schema has $defs, a recursive $ref and oneOf."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stephost_types import BuildReportContext, BuildReportInput

config = {
    "type": "event",
    "name": "BuildReport",
    "subscribes": ["report.due"],
    "emits": [],
    "input": {
        "$defs": {
            "Section": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Section"}},
                },
                "required": ["title", "children"],
            },
        },
        "type": "object",
        "properties": {
            "kind": {"oneOf": [{"const": "daily"}, {"const": "weekly"}]},
            "sections": {"type": "array", "items": {"$ref": "#/$defs/Section"}},
            "owner": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["kind", "sections", "owner"],
    },
}


async def handler(input: BuildReportInput, context: BuildReportContext) -> None:
    titles = [section["title"] for section in input["sections"]]
    context.logger.info("report", {"kind": input["kind"], "titles": titles, "owner": input["owner"]})
