"""Every worker MUST of docs/protocol.md is tested by a conformance check, and the spec's
coverage appendix says so truthfully (it is generated from the suite's citations)."""

from __future__ import annotations

from stephost.conformance import coverage

SPEC = coverage.SPEC.read_text()


def test_every_worker_must_is_cited_by_a_check_and_every_citation_exists() -> None:
    assert coverage.problems(SPEC) == []


def test_the_coverage_appendix_is_up_to_date() -> None:
    assert coverage.with_table(SPEC) == SPEC, "run: python -m stephost.conformance.coverage --write"


def test_rules_are_read_where_they_are_defined_not_where_they_are_cited() -> None:
    spec = (
        "## 1. Area\n\n[W-X-1] A worker MUST do x (see [W-X-2]).\n\n"
        "- [W-X-2] It SHOULD do y.\n\n[H-X-1] The host MUST do z.\n\n## 2. Next\n\n[W-X-3] It MUST do w.\n"
    )
    assert list(coverage.rule_texts(spec)) == ["W-X-1", "W-X-2", "H-X-1", "W-X-3"]
    assert list(coverage.worker_musts(spec)) == ["W-X-1", "W-X-3"]
    assert coverage.rule_texts(spec)["W-X-1"] == "[W-X-1] A worker MUST do x (see [W-X-2])."


def test_an_uncited_must_is_reported() -> None:
    spec = "## 1. Area\n\n[W-NEVERCITED-1] A worker MUST do something no check tests.\n"
    assert "W-NEVERCITED-1: a worker MUST no check cites" in coverage.problems(spec)
