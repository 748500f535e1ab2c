"""What every dashboard browser check shares: the steps report the Rust test reads
({"steps": [{"step", "ok", "detail"}]}), one Chromium launch, screenshots under
target/screenshots/, and the axe-core accessibility check (vendored, injected by the
test only: the page never loads it)."""

import json
import pathlib
import sys
import time
import traceback
from contextlib import contextmanager

from playwright.sync_api import sync_playwright

HERE = pathlib.Path(__file__).resolve().parent
AXE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
CHROMIUM = "/usr/bin/chromium"
# Long enough for a loaded CI machine; a check that passes never waits this long.
WAIT_MS = 20000


class Abort(Exception):
    """A step failed: the steps after it are not run."""


class Report:
    def __init__(self):
        self.steps = []

    @contextmanager
    def step(self, name):
        started = time.monotonic()
        entry = {"step": name, "ok": False, "detail": ""}
        self.steps.append(entry)
        try:
            yield entry
            entry["ok"] = True
        except Exception as e:  # noqa: BLE001 - every failure is reported as the step's
            entry["detail"] = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"
            raise Abort(name) from e
        finally:
            entry["seconds"] = round(time.monotonic() - started, 3)

    def print(self):
        print(json.dumps({"steps": self.steps}, ensure_ascii=False, indent=1))


def run(check):
    """Runs check(report, browser, config) with config read from argv[1] (JSON)."""
    config = json.loads(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
    report = Report()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            check(report, browser, config)
        except Abort:
            pass
        finally:
            browser.close()
    report.print()


def screenshot(page, config, name):
    out = pathlib.Path(config["screenshots"])
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{config['engine']}-{name}.png"
    page.screenshot(path=str(path))
    return str(path)


def axe(page, context=None):
    """Serious and critical accessibility violations on the page now (WCAG 2 A/AA)."""
    page.evaluate(AXE + "\n;0")  # evaluated by the test, not by the page: the CSP stays strict
    result = page.evaluate(
        """async (context) => {
            const r = await axe.run(context || document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""",
        context,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def watch_console(page):
    """Errors the page reports (CSP violations, uncaught exceptions); HTTP error
    statuses of requests the page makes on purpose are not errors of the page."""
    problems = []
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}")
        if m.type == "error" and "Failed to load resource" not in m.text
        else None,
    )
    return problems


def sign_in(page, config, password=None):
    """Signs in through the form; returns when the app shell is there."""
    page.goto(config["base"] + "/")
    page.get_by_label("E-mail").fill(config["email"])
    page.get_by_label("Password").fill(password or config["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for(timeout=WAIT_MS)
