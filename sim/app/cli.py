"""``idlib-sim app``: serve the classroom app on this machine.

The server is Solara's, started with the options that keep it offline: production mode
(no tracking frames), no version check, no telemetry; it listens on 127.0.0.1 unless
``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from pathlib import Path

from sim.app.levers import SCENARIO_ENV, teaching_scenario
from sim.world.loader import ScenarioError, load_scenario

DEFAULT_PORT = 8765
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXAMPLES = """examples:
  idlib-sim app                                  # the teaching scenario on http://127.0.0.1:8765/
  idlib-sim app scenarios/salami.yaml --port 8800
"""


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    """Add ``app`` to the ``idlib-sim`` command line."""
    app = subparsers.add_parser(
        "app",
        help="serve the classroom app (live map, controls, event log) in the browser",
        description="Serve the classroom app on this machine and print its address; it\n"
        "works offline. Without SCENARIO it opens on scenarios/teaching.yaml (120 days\n"
        "on 4 km cells); the page's picker also offers the shipped scenarios.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    app.add_argument(
        "scenario", type=Path, nargs="?", help="scenario YAML to open on (default: teaching)"
    )
    app.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: 8765)")
    app.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    app.set_defaults(handler=run_app)


def _port_problem(host: str, port: int) -> str | None:
    if not 0 < port < 65536:
        return f"--port: {port} is not a port number (1-65535)"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return f"--port: cannot listen on {host}:{port} ({exc.strerror}); try another port"
    return None


def run_app(args: argparse.Namespace) -> int:
    """Check the scenario and the port, then serve in this process until Ctrl+C."""
    scenario = args.scenario if args.scenario is not None else teaching_scenario()
    try:
        load_scenario(scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    problem = _port_problem(args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # Before Solara is imported: it reads its settings from the environment then.
    os.environ[SCENARIO_ENV] = str(scenario.resolve())
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    try:
        import click
        from solara.__main__ import cli as solara_cli
    except ImportError:
        print(
            "error: the app's packages are missing; install them with "
            "pip install -e '.[app]' (make setup does)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    page = Path(__file__).with_name("page.py")
    options = [
        "run",
        str(page),
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--no-open",
        "--production",
        "--no-check-version",
        "--log-level",
        "warning",
    ]
    print(f"Classroom app: http://{args.host}:{args.port}/  ({scenario}; Ctrl+C stops it)")
    sys.stdout.flush()
    # The server shuts down on its own signal handlers, not on the CLI's (which raise
    # KeyboardInterrupt inside its event loop): give it the defaults back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        solara_cli.main(args=options, prog_name="solara", standalone_mode=False)
    except click.exceptions.Abort:
        print("stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
