"""Make the lesson guide's screenshots with the app itself.

    .venv/bin/python docs/screenshots.py          # writes docs/images/*.png

Starts ``idlib-sim app`` on a free port, drives it in headless Chromium (Debian's
``/usr/bin/chromium``) with every request off 127.0.0.1 refused, and saves one picture
per exercise of ``docs/classroom.md``. The runs are stepped day by day, so the same
code gives the same pictures.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from sim.app.chromium import CHROMIUM, CHROMIUM_ARGS, keep_on_loopback

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
VIEWPORT = {"width": 1500, "height": 1000}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("error: the app did not start")


def _day(page: Page) -> int:
    return int(page.locator(".idlib-day b").inner_text().split()[1])


def step_to(page: Page, day: int) -> None:
    """Press Step until the run reaches ``day``."""
    while _day(page) < day:
        now = _day(page)
        page.get_by_role("button", name="Step").click()
        expect(page.locator(".idlib-day b")).to_have_text(f"Day {now + 1}")


def set_slider(page: Page, lever: str, presses: int) -> None:
    """Move a lever's slider by ``presses`` steps (negative: down)."""
    slider = page.locator(f".idlib-lever-{lever} [role=slider]")
    slider.focus()
    key = "ArrowRight" if presses > 0 else "ArrowLeft"
    for _ in range(abs(presses)):
        slider.press(key)


def pick_scenario(page: Page, file_name: str) -> None:
    """Choose a scenario file in the picker."""
    page.locator(".idlib-lever-scenario_file .v-select").click()
    page.get_by_role("option", name=file_name).click()
    expect(page.locator(".idlib-lever-scenario_file")).to_contain_text(file_name)


def reset(page: Page) -> None:
    """Press Reset and wait for day 0."""
    page.get_by_role("button", name="Reset").click()
    expect(page.locator(".idlib-day b")).to_have_text("Day 0")


def save(page: Page, name: str) -> Path:
    """Save the page as a small palette PNG in docs/images."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    raw = page.screenshot()
    with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
        Path(tmp.name).write_bytes(raw)
        image = Image.open(tmp.name).convert("RGB")
        image.thumbnail((1200, 1200))
        image.quantize(colors=256).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")
    return path


def make_all(page: Page) -> None:
    """One picture per exercise of the lesson guide."""
    step_to(page, 40)
    save(page, "ladder")

    reset(page)
    set_slider(page, "alliance_threshold", 10)  # 0.30 -> 0.80
    expect(page.locator(".idlib-lever-alliance_threshold")).to_contain_text("0.80")
    reset(page)
    step_to(page, 30)
    save(page, "alliance")

    set_slider(page, "alliance_threshold", -10)
    pick_scenario(page, "salami.yaml")
    reset(page)
    step_to(page, 90)
    page.locator("img.idlib-plots, .idlib-plots img").first.scroll_into_view_if_needed()
    save(page, "salami")


def main() -> int:
    """Serve the app, take the pictures, stop the app; 1 if the page reached outside."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    outside: list[str] = []
    with tempfile.TemporaryDirectory() as home:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "HOME": home},
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_until_up(url, server)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT)
                keep_on_loopback(context, outside)
                page = context.new_page()
                page.set_default_timeout(30_000)
                page.goto(url)
                expect(page.locator("img.idlib-map, .idlib-map img").first).to_be_visible()
                make_all(page)
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    if outside:
        print(f"error: the page asked for {outside}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
