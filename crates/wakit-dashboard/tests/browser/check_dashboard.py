"""The dashboard in a real browser (Chromium through Playwright), one launch for every
check. Usage: check_dashboard.py CONFIG.json (written by
crates/wakit-server/tests/dashboard_browser.rs). Prints the steps as JSON."""

import check_inbox
import check_isolation
import check_members
import check_pages
import check_settings
import check_signin
from harness import run

CHECKS = [
    check_signin.check,
    check_inbox.check,
    check_settings.check,
    check_pages.check,
    check_members.check,
    check_isolation.check,
]


def main(report, browser, config):
    for check in CHECKS:
        check(report, browser, config)


if __name__ == "__main__":
    run(main)
