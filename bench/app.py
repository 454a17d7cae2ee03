"""How fast the classroom app is: page ready after the command, and one Step's redraw.

    .venv/bin/python -m bench.app [--starts 5] [--steps 30]

* **ready**: from starting ``idlib-sim app`` to the map shown in headless Chromium
  (the browser is already open; it retries until the server answers).
  The server's CPU time by then is given too: it depends less on the machine's load.
* **step (browser)**: from clicking Step to the panel showing the next day (the map and
  the plots arrive in the same update), on the teaching scenario.
* **step (server)**: the model's day plus redrawing both figures to PNG, in-process.

Prints medians (and min-max) as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.app.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(port: int, home: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "app", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "HOME": home},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _open_when_up(page, url: str, deadline: float) -> None:
    while True:
        try:
            page.goto(url)
            page.wait_for_selector("img.idlib-map, .idlib-map img", timeout=30_000)
            return
        except Exception:  # noqa: BLE001 - the server is not listening yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _day(page) -> int:
    return int(page.locator(".idlib-day b").inner_text().split()[1])


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_ready(browser, starts: int, home: str) -> tuple[list[float], list[float]]:
    """Seconds from the command to the map on screen, and the server's CPU seconds
    by then, one of each per start."""
    out, cpu = [], []
    for _ in range(starts):
        port = _free_port()
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        began = time.monotonic()
        server = _start_server(port, home)
        try:
            _open_when_up(page, f"http://127.0.0.1:{port}/", began + 60)
            out.append(time.monotonic() - began)
            cpu.append(_cpu_seconds(server.pid))
        finally:
            context.close()
            _stop(server)
    return out, cpu


def time_steps_in_browser(browser, steps: int, home: str) -> list[float]:
    """Seconds from a click on Step to the next day on screen, one per step."""
    port = _free_port()
    server = _start_server(port, home)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        _open_when_up(page, f"http://127.0.0.1:{port}/", time.monotonic() + 60)
        out = []
        button = page.get_by_role("button", name="Step")
        for _ in range(steps):
            day = _day(page)
            began = time.monotonic()
            button.click()
            page.wait_for_function(
                "d => document.querySelector('.idlib-day b').innerText === 'Day ' + d",
                arg=day + 1,
                polling="raf",
            )
            out.append(time.monotonic() - began)
        return out
    finally:
        context.close()
        _stop(server)


def time_steps_in_process(steps: int) -> list[float]:
    """Seconds for the model's day plus both figures redrawn to PNG, one per step."""
    from sim.app.classroom import ClassroomModel
    from sim.app.figures import MapFigure, PlotsFigure

    model = ClassroomModel()
    figures = (MapFigure(model), PlotsFigure(model))
    for figure in figures:
        figure.png()
    out = []
    for _ in range(steps):
        began = time.perf_counter()
        model.step()
        for figure in figures:
            figure.update()
            figure.png()
        out.append(time.perf_counter() - began)
    return out


def _row(name: str, seconds: list[float], unit: str = "ms") -> str:
    scale, digits = (1000.0, 0) if unit == "ms" else (1.0, 1)
    med, low, high = (x * scale for x in (statistics.median(seconds), min(seconds), max(seconds)))
    return (
        f"| {name} | {med:,.{digits}f} {unit} | {low:,.{digits}f}-{high:,.{digits}f} {unit} "
        f"| {len(seconds)} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="server starts to time")
    parser.add_argument("--steps", type=int, default=30, help="Steps to time")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ready, ready_cpu = time_ready(browser, args.starts, home)
        clicks = time_steps_in_browser(browser, args.steps, home)
        browser.close()
    server = time_steps_in_process(args.steps)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} (1, 5, 15 min) at the end\n")
    print("| what | median | range | n |")
    print("|---|---|---|---|")
    print(_row("page ready after `idlib-sim app`", ready, "s"))
    print(_row("server CPU time until then", ready_cpu, "s"))
    print(_row("Step -> next day on screen (browser)", clicks))
    print(_row("day + both figures to PNG (server, in-process)", server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
