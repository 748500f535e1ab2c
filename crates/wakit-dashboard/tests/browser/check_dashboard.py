"""The dashboard in a real browser (Chromium through Playwright), one launch for every
check. Usage: check_dashboard.py CONFIG.json (written by
crates/wakit-server/tests/dashboard_browser.rs). Prints the steps as JSON."""

import check_inbox
import check_signin
from harness import run

CHECKS = [check_signin.check, check_inbox.check]


def main(report, browser, config):
    for check in CHECKS:
        check(report, browser, config)


if __name__ == "__main__":
    run(main)
