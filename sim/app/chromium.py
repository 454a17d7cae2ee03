"""How the project drives Debian's Chromium headless: browser tests, bench and screenshots.

The browser is the system's ``/usr/bin/chromium`` (``apt-get install chromium``), never one
downloaded by a test tool. The flags keep it quiet on a machine with no internet: no
background networking, component updates or sync.
"""

from typing import Any
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def keep_on_loopback(context: Any, refused: list[str], seen: list[str] | None = None) -> None:
    """Let a Playwright browser context reach 127.0.0.1 only.

    Args:
        context: A Playwright ``BrowserContext``.
        refused: Gets the URL of every request aborted for leaving 127.0.0.1.
        seen: If given, gets the URL of every request the context makes.
    """

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if seen is not None:
            seen.append(url)
        if urlparse(url).hostname == "127.0.0.1":
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    context.route("**/*", route)
