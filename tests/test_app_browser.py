"""The classroom app in a real headless Chromium, served by ``idlib-sim app``.

Every request the page makes to anything but 127.0.0.1 is blocked and recorded; each
test asserts there was none, and no error in the browser console.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from sim.app.chromium import CHROMIUM, CHROMIUM_ARGS, keep_on_loopback

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 20_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    env = {**os.environ, "HOME": str(log.parent)}  # solara writes ~/.solara
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass  # not listening yet: try again below
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the app did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """What a page asked for off this machine, and what went wrong in its console."""

    def __init__(self):
        self.outside: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    watch = Watch()
    keep_on_loopback(context, watch.outside, watch.requests)
    tab = context.new_page()
    tab.on("console", lambda msg: watch.errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(app_url)
    expect(tab.locator(".idlib-map img, img.idlib-map").first).to_be_visible()
    yield tab
    context.close()
    assert watch.requests, "the route saw the page's requests"
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    assert watch.errors == [], f"browser console errors: {watch.errors}"


def _day(tab: Page) -> int:
    return int(tab.locator(".idlib-day b").inner_text().split()[1])


def _step(tab: Page, times: int) -> None:
    for _ in range(times):
        day = _day(tab)
        tab.get_by_role("button", name="Step").click()
        expect(tab.locator(".idlib-day b")).to_have_text(f"Day {day + 1}")


def _left_home(tab: Page) -> int:
    text = tab.locator(".idlib-left-home").inner_text()
    return int(text.replace(",", ""))


def _map_src(tab: Page) -> str:
    return tab.locator(".idlib-map img, img.idlib-map").first.get_attribute("src")


def _map_pixels(tab: Page) -> bytes:
    return tab.locator(".idlib-map img, img.idlib-map").first.screenshot()


def test_page_loads_with_map_controls_and_a_screenshot(page, tmp_path):
    for name in ("Reset", "Step", "▶"):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    expect(page.get_by_text("applies when you press")).to_be_visible()
    expect(page.locator(".idlib-day b")).to_have_text("Day 0")
    expect(page.get_by_text("teaching.yaml")).to_be_visible()
    for lever in ("sorties_per_day", "crisis_threshold_people", "alliance_threshold", "seed"):
        expect(page.locator(f".idlib-lever-{lever}")).to_be_visible()
    assert _map_src(page).startswith("blob:http://127.0.0.1")
    shot = tmp_path / "app.png"
    page.screenshot(path=shot, full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def test_five_steps_advance_the_day_change_the_map_and_grow_the_log(page):
    before_map = _map_pixels(page)
    before_lines = page.locator(".idlib-log-line").count()
    _step(page, 5)
    assert _day(page) == 5
    expect(page.locator(".idlib-panel")).to_contain_text("4 May 2019")
    assert _map_pixels(page) != before_map
    assert page.locator(".idlib-log-line").count() > before_lines


def test_play_runs_days_until_pause(page):
    page.get_by_role("button", name="▶").click()
    expect(page.locator(".idlib-day b")).not_to_have_text("Day 0")
    expect(page.locator(".idlib-day b")).not_to_have_text("Day 1")
    page.get_by_role("button", name="❚❚").click()
    expect(page.get_by_role("button", name="▶")).to_be_visible()
    paused_at = _day(page)
    assert paused_at >= 2
    # The day being computed when Pause was pressed may still finish; then nothing moves.
    page.wait_for_timeout(1_000)
    settled = _day(page)
    assert paused_at <= settled <= paused_at + 1
    page.wait_for_timeout(1_000)
    assert _day(page) == settled


def test_reset_after_a_lever_change_changes_the_run(page):
    _step(page, 8)
    baseline = _left_home(page)
    slider = page.locator(".idlib-lever-sorties_per_day [role=slider]")
    slider.focus()
    slider.press("End")
    expect(page.locator(".idlib-lever-sorties_per_day")).to_contain_text("Sorties a day")
    expect(page.locator(".idlib-lever-sorties_per_day")).to_contain_text(": 60")
    assert _day(page) == 8  # a lever waits for Reset
    page.get_by_role("button", name="Reset").click()
    expect(page.locator(".idlib-day b")).to_have_text("Day 0")
    _step(page, 8)
    assert _left_home(page) > baseline  # five times the sorties drive more people out


def test_each_tab_has_its_own_run(page, browser, app_url):
    other_context = browser.new_context(viewport={"width": 1600, "height": 1000})
    outside = []
    keep_on_loopback(other_context, outside)
    try:
        other = other_context.new_page()
        other.set_default_timeout(TIMEOUT_MS)
        other.goto(app_url)
        expect(other.locator(".idlib-day b")).to_have_text("Day 0")
        _step(page, 3)
        _step(other, 1)
        assert _day(page) == 3
        assert _day(other) == 1
    finally:
        other_context.close()
    assert outside == []
