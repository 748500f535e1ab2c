"""Settings as the organization's owner: an API key created (shown once, copyable), used,
revoked after a confirmation — then refused by the API; a webhook to the test's
receiver on 127.0.0.1 created (its secret shown once), a test delivery in its log with
the receiver's 200, retried; the organization's timezone and automatic replies saved;
the numbers' health; axe-core on every page; screenshots."""

import time

from playwright.sync_api import expect

from harness import WAIT_MS, watch_console
from people import accessible, http, sign_in_as


def api_status(config, key, path):
    """The REST API's status for `path` with the API key `key`."""
    return http(config, "GET", "/functions/v1/api" + path, key)[0]


def log_until(page, log, done):
    """The cells of the deliveries log's newest row once `done(cells)` holds, clicking
    Refresh between looks (bounded: 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        log.wait_for(timeout=WAIT_MS)
        # The log is redrawn on each Refresh: a look may fall between two drawings.
        cells = [c.strip() for c in log.locator("tbody tr").first.locator("td").all_inner_texts()]
        ready = len(cells) >= 4 and done(cells)
        if ready or time.monotonic() > deadline:
            assert ready, cells
            return cells
        time.sleep(0.3)
        page.get_by_role("button", name="Refresh").click()


def check(report, browser, config):
    s = config["settings"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=config["base"])
    page = ctx.new_page()
    problems = watch_console(page)
    settings_nav = page.get_by_role("navigation", name="Main")

    with report.step("the owner sees every settings page in the nav"):
        sign_in_as(page, config, s["owner"])
        for name in ("Organization", "Numbers", "Members", "Webhooks", "API keys"):
            expect(settings_nav.get_by_role("link", name=name, exact=True)).to_be_visible()

    key = None
    with report.step("API keys: a new key is shown once with a copy button, and works"):
        settings_nav.get_by_role("link", name="API keys").click()
        page.get_by_label("Key name").fill("CRM sync")
        page.get_by_label("Key role").select_option("admin")
        page.get_by_role("button", name="Create key").click()
        shown = page.get_by_label("The new API key", exact=True).first
        expect(shown).to_contain_text("sk_", timeout=WAIT_MS)
        key = page.locator(".once code").inner_text().strip()
        page.get_by_role("button", name="Copy").click()
        expect(page.locator(".copy-status")).to_have_text("Copied.", timeout=WAIT_MS)
        assert page.evaluate("navigator.clipboard.readText()") == key
        row = page.get_by_role("row", name="CRM sync")
        expect(row).to_contain_text(key[:8], timeout=WAIT_MS)
        expect(row).to_contain_text("admin")
        assert api_status(config, key, "/accounts") == 200
        accessible(page, config, "settings-keys")

    with report.step("by keyboard: a key created with Tab and Enter; Escape cancels a revocation"):
        page.get_by_label("Key name").focus()
        page.keyboard.type("Keyboard key")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.get_by_role("row", name="Keyboard key")).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("button", name="Revoke Keyboard key").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("dialog")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_role("row", name="Keyboard key")).to_be_visible()

    with report.step("API keys: revoked after a confirmation; the API then refuses the key (401)"):
        page.get_by_role("button", name="Revoke CRM sync").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Revoke the key")
        accessible(page, config, "settings-keys-revoke")
        dialog.get_by_role("button", name="Revoke").click()
        expect(page.get_by_role("row", name="CRM sync")).to_have_count(0, timeout=WAIT_MS)
        expect(page.locator(".once")).to_have_count(0)
        # Each replica forgets a key it knew within the cache's TTL (2 s): bounded wait.
        deadline = time.monotonic() + 20
        status = api_status(config, key, "/accounts")
        while status != 401 and time.monotonic() < deadline:
            time.sleep(0.25)
            status = api_status(config, key, "/accounts")
        assert status == 401, status

    with report.step("webhooks: created with the secret shown once; a test delivery reaches the receiver (200 in the log)"):
        settings_nav.get_by_role("link", name="Webhooks").click()
        page.get_by_label("Endpoint URL").fill(s["receiver"])
        page.get_by_label("Table").select_option("messages")
        page.get_by_label("Bearer token (optional)").fill("receiver-token")
        page.get_by_role("button", name="Create webhook").click()
        expect(page.get_by_label("The signing secret", exact=True).first).to_contain_text("whsec_", timeout=WAIT_MS)
        endpoints = page.get_by_role("table", name="Webhook endpoints")
        expect(endpoints).to_contain_text(s["receiver"], timeout=WAIT_MS)
        expect(endpoints).to_contain_text("insert, update")
        page.get_by_role("button", name=f"Send test to {s['receiver']}").click()
        log = page.get_by_role("table", name=f"Deliveries to {s['receiver']}")
        first = log_until(page, log, lambda cells: cells[3] == "200")
        assert first[0] == "webhook.test", first
        assert first[2] == "1", first
        accessible(page, config, "settings-webhooks")

    with report.step("webhooks: a delivery retried is sent again (a second attempt in the log)"):
        page.get_by_role("button", name="Retry delivery").first.click()
        again = log_until(page, log, lambda cells: cells[2] == "2" and cells[3] == "200")
        assert again[0] == "webhook.test", again

    with report.step("organization: timezone and automatic replies saved and kept"):
        settings_nav.get_by_role("link", name="Organization").click()
        page.get_by_label("Timezone").select_option("America/Mexico_City")
        page.get_by_role("button", name="Save organization").click()
        expect(page.locator("#announcer")).to_have_text("Organization saved.", timeout=WAIT_MS)
        page.get_by_label("Welcome message").fill("¡Hola! Te atendemos enseguida.")
        page.get_by_label("Response delay (seconds)").fill("4")
        page.get_by_role("button", name="Save replies").click()
        expect(page.locator("#announcer")).to_have_text("Automatic replies saved.", timeout=WAIT_MS)
        page.reload()
        expect(page.get_by_label("Timezone")).to_have_value("America/Mexico_City", timeout=WAIT_MS)
        expect(page.get_by_label("Welcome message")).to_have_value("¡Hola! Te atendemos enseguida.")
        expect(page.get_by_label("Response delay (seconds)")).to_have_value("4")
        accessible(page, config, "settings-organization")

    with report.step("numbers: each connected number's health from Meta"):
        settings_nav.get_by_role("link", name="Numbers").click()
        numbers = page.get_by_role("table", name="Connected numbers")
        expect(numbers).to_contain_text("Active", timeout=WAIT_MS)
        accessible(page, config, "settings-numbers")

    with report.step("a failed request shows the error panel, and its retry recovers"):
        page.route("**/functions/v1/api/health*", lambda route: route.abort())
        page.get_by_role("button", name="Check again").click()
        expect(page.locator(".error-panel")).to_contain_text("Cannot reach the server", timeout=WAIT_MS)
        page.unroute("**/functions/v1/api/health*")
        page.get_by_role("button", name="Try again").click()
        expect(page.get_by_role("table", name="Connected numbers")).to_contain_text("Active", timeout=WAIT_MS)

    with report.step("no CSP violation and no script error"):
        assert not problems, problems
    ctx.close()
