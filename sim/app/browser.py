"""The dashboard in a real browser: start ``python -m sim app`` in a process, open it in
headless Chromium (the system's, driven by Playwright), and ``make screenshot``.

``python -m sim.app.browser <png> [override ...]`` serves uk_2011 under the 2011 strategy,
plays it past the policy's start and saves a screenshot of the page (the README's figure).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

# flags known to work on machines with no outside network: nothing phones home
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class BrowserMissing(RuntimeError):
    """No Chromium, or no Playwright: what to install is in the message."""


def chromium() -> str:
    """The system's Chromium (``SIM_CHROMIUM`` to choose another)."""
    given = os.environ.get("SIM_CHROMIUM")
    found = given if given and Path(given).is_file() else next(
        (p for p in map(shutil.which, CANDIDATES) if p), None)
    if not found:
        raise BrowserMissing("no Chromium found (looked for SIM_CHROMIUM, "
                             f"{', '.join(CANDIDATES)} on PATH): on Debian, "
                             "apt-get install -y chromium (see .ci/run)")
    return found


@contextmanager
def app(*args: str, root: Path | None = None, timeout: float = 120):
    """``python -m sim app port=0 *args`` in a process; yields (url, process). The process is
    stopped (and its output kept in the exception) when the block ends."""
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen([sys.executable, "-u", "-m", "sim", "app", "port=0", *args],
                            cwd=root, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = None
        deadline = time.monotonic() + timeout
        assert proc.stdout is not None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                log.seek(0)
                raise RuntimeError(f"python -m sim app stopped (status {proc.wait()}): "
                                   f"{log.read()[-2000:]}")
            found = re.search(r"http://127\.0\.0\.1:\d+/", line)
            url = found.group(0) if found else None
            if time.monotonic() > deadline:
                raise RuntimeError(f"python -m sim app gave no address in {timeout} s")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def page(width: int = 1600, height: int = 1400):
    """A fresh headless Chromium page (its own empty profile)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise BrowserMissing(f"Playwright for Python is not installed ({err}): "
                             "pip install -e '.[app]'") from None
    executable = chromium()
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=executable, args=FLAGS, headless=True,
            viewport={"width": width, "height": height})
        try:
            yield context.new_page()
        finally:
            context.close()


def week(tab) -> int:
    return int(tab.inner_text("[data-count=week]"))


def wait_week(tab, predicate, timeout: float = 60) -> int:
    """Wait until the shown week satisfies ``predicate``; return it."""
    deadline = time.monotonic() + timeout
    while True:
        shown = week(tab)
        if predicate(shown):
            return shown
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page still shows week {shown} after {timeout} s")
        time.sleep(0.1)


def play_until(tab, weeks: int, timeout: float = 300) -> int:
    tab.get_by_role("button", name="▶").click()
    shown = wait_week(tab, lambda w: w >= weeks, timeout)
    tab.get_by_role("button", name="❚❚").click()
    return shown


def screenshot(target: Path, overrides: list[str], weeks: int) -> None:
    with app(*overrides) as (url, _), page(1600, 1500) as tab:
        tab.goto(url)
        tab.wait_for_selector("[data-count=week]", timeout=180_000)
        play_until(tab, weeks)
        time.sleep(2)  # the last frame drawn
        target.parent.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(target), full_page=True)
    print(f"screenshot: {target}")


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/figures/dashboard.png")
    overrides = sys.argv[2:] or ["world=uk_2011", "policy=strategy_2011"]
    screenshot(target, overrides, weeks=300)


if __name__ == "__main__":
    main()
