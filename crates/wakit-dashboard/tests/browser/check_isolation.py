"""Tenant isolation: a person of the second organization only (an admin there) never
sees the first organization's data through any page or URL — its conversation's id
typed into the inbox URL, its contacts, templates, quick replies, members, webhooks,
AI agents — nor through the routes the pages call, with their own access token."""

from playwright.sync_api import expect

from harness import WAIT_MS, watch_console
from people import access_token, http, sign_in_as


def call(config, path, token):
    return http(config, "GET", path, token, apikey=config["settings"]["anon_key"])


def check(report, browser, config):
    s = config["settings"]
    # What belongs to the first organization only (seeded, or made by the checks before).
    secrets_of_a = [config["open"]["name"], config["closed"]["name"], "appointment_reminder",
                    "/saludo", s["receiver"], s["owner"], "Sofía"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    problems = watch_console(page)
    nav = page.get_by_role("navigation", name="Main")

    def nothing_of_a(where):
        text = page.locator("main").inner_text()
        leaked = [x for x in secrets_of_a if x in text]
        assert not leaked, f"{where}: {leaked}"

    with report.step("the first organization's conversation id in the inbox URL shows nothing of it"):
        sign_in_as(page, config, s["outsider"])
        page.goto(f"{config['base']}/#/inbox/{s['a_conversation']}")
        expect(page.get_by_text("This conversation does not exist in this organization.")).to_be_visible(timeout=WAIT_MS)
        nothing_of_a("inbox")

    for path, title in [
        ("contacts", "Contacts"),
        ("templates", "Templates"),
        ("quick-replies", "Quick replies"),
        ("settings/members", "Members"),
        ("settings/webhooks", "Webhooks"),
        ("settings/ai-agents", "AI agents"),
    ]:
        with report.step(f"{path}: none of the first organization's rows"):
            page.goto(f"{config['base']}/#/{path}")
            expect(page).to_have_title(f"{title} · wakit", timeout=WAIT_MS)
            # Loaded: its tables or their empty notes, and no loading line left.
            page.locator("main table, main .empty").first.wait_for(timeout=WAIT_MS)
            expect(page.locator("main .loading")).to_have_count(0, timeout=WAIT_MS)
            expect(page.locator("main .error-panel")).to_have_count(0)
            nothing_of_a(path)

    with report.step("contacts: the first organization's customer is not found by name or phone"):
        page.goto(f"{config['base']}/#/contacts")
        search = page.get_by_label("Search contacts by name or phone")
        for q in (config["open"]["name"], config["open"]["phone"][-7:]):
            search.fill(q)
            expect(page.get_by_text("No contact matches.")).to_be_visible(timeout=WAIT_MS)
        expect(nav.get_by_role("link", name="API keys")).to_have_count(0)

    with report.step("with their own token, the routes the pages call refuse or hide the first organization"):
        token = access_token(config, s["outsider"], s["password"])
        a_conv = s["a_conversation"]
        status, rows = call(config, f"/rest/v1/conversations?id=eq.{a_conv}", token)
        assert (status, rows) == (200, []), (status, rows)
        status, rows = call(config, f"/rest/v1/contacts?id=eq.{s['a_contact']}", token)
        assert (status, rows) == (200, []), (status, rows)
        status, rows = call(config, f"/rest/v1/messages?conversation_id=eq.{a_conv}", token)
        assert (status, rows) == (200, []), (status, rows)
        # The first organization's id, named outright: refused.
        first_org = s["a_org"]
        for path in ("/webhooks", "/agents", "/health", "/templates", "/accounts"):
            status, body = call(config, f"/functions/v1/api{path}?organization_id={first_org}", token)
            assert status == 403, (path, status, body)

    with report.step("no CSP violation and no script error"):
        assert not problems, problems
    ctx.close()
