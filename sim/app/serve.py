"""``python -m sim app``: check the command line, then serve the dashboard on 127.0.0.1.

``python -m sim app [port=N] [results=<folder>] [override ...]``: ``port`` (default 8765; 0
takes any free port), ``results`` (the folder whose sweeps the results page lists, default
``results``), and Hydra overrides for the model the page starts with (``world=uk_2011
policy=border groups.recruitment=market``), checked as ``python -m sim`` checks a run's. Bad
input is one line and exit status 2, before anything listens.
"""

import os
import socket
import sys
import threading
from pathlib import Path

from sim.app.controls import Settings, overrides, settings_from
from sim.config import ConfigError

USAGE = "python -m sim app [port=N] [results=<folder>] [override ...]"
HOST = "127.0.0.1"
DEFAULT_PORT = 8765
NOT_FOR_ONE_RUN = ("experiment", "replications", "sweep")


def parse(args: list[str]) -> tuple[int, Path, list[str]]:
    """(port, results folder, model overrides) of the command line."""
    port, results, given = DEFAULT_PORT, Path("results"), []
    for arg in args:
        key, _, value = arg.partition("=")
        if arg.startswith("-"):
            raise ConfigError(f"{arg}: the dashboard takes no flags (usage: {USAGE})")
        if key == "port":
            port = parse_port(value)
        elif key == "results":
            results = Path(value)
            if not results.is_dir():
                raise ConfigError(f"results = {value!r}: no such folder (the folder whose "
                                  "sweeps the results page lists)")
        else:
            given.append(arg)
    return port, results, given


def parse_port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535 or not value.strip().isdigit():
        raise ConfigError(f"port = {value!r}: a whole number from 1 to 65535 (0: any free "
                          "port)")
    return port


def check_overrides(given: list[str]) -> Settings:
    """The settings the page starts with; ConfigError (one line) for any override that
    ``python -m sim`` would refuse, and for those that make a sweep rather than one run."""
    from sim.cli import (
        check_group,
        check_known,
        checked,
        describe,
        is_hydra,
        overrides_parser,
        refuse_unsafe,
    )

    try:
        parsed = overrides_parser().parse_overrides(given)
    except Exception as err:
        raise ConfigError(describe(err)) from None
    refuse_unsafe(parsed)
    for o in parsed:
        if is_hydra(o) or o.key_or_group in NOT_FOR_ONE_RUN:
            raise ConfigError(f"{o.input_line}: the dashboard runs one model; sweeps and "
                              "Hydra's settings are for python -m sim")
        if o.is_sweep_override():
            raise ConfigError(f"{o.input_line}: several values make a sweep; the dashboard "
                              "runs one model")
        check_group(o)
        check_known(o)
    settings = settings_from(given)
    checked(overrides(settings))
    return settings


def listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise ConfigError(f"port = {port}: cannot listen on {HOST}:{port} ({err.strerror}); "
                          "choose another with port=N") from None
    sock.listen(128)
    return sock


def main(args: list[str]) -> int:
    """The ``app`` subcommand: 0 when stopped (Ctrl-C); ConfigError for bad input."""
    port, results, given = parse(args)
    settings = check_overrides(given)
    sock = listen(port)
    serve(sock, settings, results)
    return 0


def serve(sock: socket.socket, settings: Settings, results: Path) -> None:
    """Serve the pages on ``sock`` until interrupted; print the address once it answers."""
    host, port = sock.getsockname()[:2]
    # Solara reads its settings from the environment when first imported: no telemetry, the
    # app's pages, and the browser's assets from the local copy (solara-assets), never a CDN
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    os.environ["SOLARA_APP"] = "sim.app.pages"
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    import uvicorn

    from sim.app import pages

    pages.START.settings, pages.START.results = settings, results
    server = uvicorn.Server(uvicorn.Config("solara.server.starlette:app", log_level="warning",
                                           ws_max_size=64 * 2**20))

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            print(f"dashboard: http://{host}:{port}/ (sweep results: http://{host}:{port}/"
                  "results); Ctrl-C stops it", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    sys.stdout.flush()
