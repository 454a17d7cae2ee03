"""How the project drives Debian's Chromium headless: browser tests, bench and screenshots.

The browser is the system's ``/usr/bin/chromium`` (``apt-get install chromium``), never one
downloaded by a test tool. The flags keep it quiet on a machine with no internet: no
background networking, component updates or sync.
"""

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
