"""The Workbench page in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from stephost.testing import HostProcess, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "tests" / "artifacts" / "workbench"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; scripts/setup and "
            ".ci/run do it when run as root). The Workbench browser test needs a real browser.",
            pytrace=False,
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_page_draws_the_flow_sends_an_order_and_opens_its_trace(page: Page) -> None:
    with HostProcess(ROOT / "examples" / "orders", mode="dev") as host:
        page.goto(host.url + "/__workbench")
        diagram = page.locator("#diagram")
        for step in ("CreateOrder", "StoreOrder", "GetOrder", "CountOrders"):
            expect(diagram.locator(f'g.node[data-step="{step}"] text.name')).to_have_text(step)
        edge = diagram.locator('g.edge[data-topic="order.created"]')
        expect(edge.locator("text")).to_have_text("order.created")
        expect(page.locator("#live")).to_have_text("live")
        page.screenshot(path=str(SHOTS / "flows.png"), full_page=True)

        page.click('#tabs button[data-tab="endpoints"]')
        page.select_option("#ep-select", "CreateOrder")
        page.fill("#ep-field-item", "lamp")
        page.fill("#ep-field-quantity", "3")
        page.fill("#ep-field-customer", '{"name": "Ada", "email": "ada@example.com"}')
        page.click("#ep-send")
        expect(page.locator("#ep-status")).to_have_text(re.compile(r"^201"))
        trace_id = page.locator("#ep-result a.trace-link").inner_text()
        assert re.fullmatch(r"[\w-]+", trace_id)
        expect(page.locator("#ep-response-body")).to_contain_text(trace_id)
        page.screenshot(path=str(SHOTS / "endpoint-tester.png"), full_page=True)

        page.click('#tabs button[data-tab="logs"]')
        page.fill("#log-trace", trace_id)
        rows = page.locator("#log-rows tr.log")
        expect(rows.filter(has_text="order stored")).to_have_count(1)
        expect(rows.filter(has_text="order accepted")).to_have_count(1)
        page.screenshot(path=str(SHOTS / "logs.png"), full_page=True)

        rows.filter(has_text="order stored").locator("a.trace-link").click()
        invocations = page.locator("#trace-invocations tr.invocation")
        expect(invocations).to_have_count(2)
        expect(invocations.nth(0)).to_contain_text("CreateOrder")
        expect(invocations.nth(0)).to_contain_text("typescript")
        expect(invocations.nth(1)).to_contain_text("StoreOrder")
        expect(invocations.nth(1)).to_contain_text("python")
        expect(page.locator("#trace-events")).to_contain_text("emit order.created → StoreOrder")
        page.screenshot(path=str(SHOTS / "trace.png"), full_page=True)

        page.click('#tabs button[data-tab="workers"]')
        expect(page.locator("#worker-rows tr.worker").filter(has_text="CreateOrder")).to_have_count(1)
        page.screenshot(path=str(SHOTS / "workers.png"), full_page=True)

        page.click('#tabs button[data-tab="state"]')
        group = page.locator('#state-groups li.state-group[data-group="orders"]')
        expect(group).to_have_count(1)
        group.click()
        expect(page.locator("#state-title")).to_have_text("orders · 1 key(s)")
        item = page.locator("#state-rows tr.state-item")
        expect(item).to_have_count(1)
        expect(item.locator("td.json")).to_contain_text('"item": "lamp"')
        expect(item.locator("td.json")).to_contain_text('"email": "ada@example.com"')
        page.screenshot(path=str(SHOTS / "state.png"), full_page=True)


def test_a_dead_letter_is_replayed_from_the_page(page: Page, tmp_path: Path) -> None:
    # `dev` writes generated types into the project: it runs on a copy of the fixture
    project = shutil.copytree(ROOT / "tests" / "e2e" / "projects" / "workbench_dlq", tmp_path / "workbench_dlq")
    with HostProcess(project, mode="dev") as host:
        assert httpx.post(host.url + "/jobs/j7").status_code == 202
        wait_for(lambda: httpx.get(host.url + "/__workbench/api/dlq").json()["deadLetters"])
        page.goto(host.url + "/__workbench")
        expect(page.locator('g.edge.virtual[data-topic="job.audited"] text')).to_have_text("audit")
        page.click('#tabs button[data-tab="dlq"]')
        letter = page.locator("#dlq-rows tr.dead-letter")
        expect(letter).to_have_count(1)
        expect(letter).to_contain_text("FailOnce")
        expect(letter).to_contain_text("job j7 fails on its first attempt")
        page.screenshot(path=str(SHOTS / "dlq.png"), full_page=True)
        letter.locator("button.replay").click()
        expect(page.locator("#dlq-note")).to_have_text(re.compile(r"^replayed "))
        page.click('#tabs button[data-tab="logs"]')
        expect(page.locator("#log-rows tr.log").filter(has_text="job done on replay")).to_have_count(1)
        page.screenshot(path=str(SHOTS / "dlq-replayed.png"), full_page=True)


def test_an_open_trace_follows_its_events_live_and_a_burst_of_logs_shows_what_was_left_out(
    page: Page, tmp_path: Path
) -> None:
    project = shutil.copytree(ROOT / "tests" / "e2e" / "projects" / "workbench_live", tmp_path / "workbench_live")
    with HostProcess(project, mode="dev") as host:
        page.goto(host.url + "/__workbench")
        expect(page.locator("#live")).to_have_text("live")
        trace_id = httpx.post(host.url + "/start", json={}).headers["x-trace-id"]
        page.click('#tabs button[data-tab="trace"]')
        page.fill("#trace-id", trace_id)
        page.click("#trace-load")
        # Slow ends half a second later; the page, watching this trace, redraws when its events come
        invocations = page.locator("#trace-invocations tr.invocation")
        expect(invocations.filter(has_text="Slow")).to_have_count(1, timeout=5000)
        expect(page.locator("#trace-events")).to_contain_text("state.set(slow")
        page.screenshot(path=str(SHOTS / "trace-live.png"), full_page=True)

        page.click('#tabs button[data-tab="logs"]')
        assert httpx.post(host.url + "/chatty", json={"lines": 3000}).status_code == 200
        marker = page.locator("#log-rows tr.skipped").first
        expect(marker).to_contain_text("left out of the live tail")
        # the tail holds the burst's newest lines, its last one included
        expect(page.locator("#log-rows tr.log").filter(has_text="chat over")).to_have_count(1)
        page.screenshot(path=str(SHOTS / "logs-skipped.png"), full_page=True)
        marker.locator("a.load-all").click()
        # the host's buffer holds the last 2000 lines (the page draws the newest 500): no gap is left
        expect(page.locator("#log-count")).to_have_text(re.compile(r" of 2000 line\(s\)$"))
        expect(page.locator("#log-rows tr.skipped")).to_have_count(0)
        expect(page.locator("#log-rows tr.log").filter(has_text="chat 2800")).to_have_count(1)
