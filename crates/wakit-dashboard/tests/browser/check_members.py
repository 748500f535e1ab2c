"""Members: the owner invites an address as a member; whoever signs up with it joins
and has a member's limits — no settings in the nav, a settings URL typed by hand sends
them to the inbox, and the server refuses their writes; the last owner cannot demote
themselves (the page says why); a role change and a removal take effect."""

from playwright.sync_api import expect

from harness import WAIT_MS, watch_console
from people import accessible, http, sign_in_as

SETTINGS = ("Organization", "Numbers", "Members", "Webhooks", "AI agents", "API keys")
INVITEE_PASSWORD = "the invitee's passphrase"


def check(report, browser, config):
    s = config["settings"]
    owner_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = owner_ctx.new_page()
    problems = watch_console(page)
    people = page.get_by_role("table", name="Members")

    with report.step("the owner invites an address as a member"):
        sign_in_as(page, config, s["owner"])
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
        page.get_by_label("E-mail address").fill(s["invited"].upper())
        page.get_by_label("Role", exact=True).select_option("member")
        page.get_by_role("button", name="Invite").click()
        row = people.get_by_role("row", name=s["invited"])
        expect(row).to_contain_text("Invited (not signed up yet)", timeout=WAIT_MS)
        accessible(page, config, "settings-members")

    with report.step("the last owner cannot demote themselves: the page says why, the role stays"):
        mine = people.get_by_role("row", name=s["owner"])
        mine.get_by_label(f"Role of {s['owner']}").select_option("admin")
        expect(page.locator(".form-error").filter(has_text="keeps at least one owner")).to_be_visible(timeout=WAIT_MS)
        page.reload()
        expect(people.get_by_label(f"Role of {s['owner']}")).to_have_value("owner", timeout=WAIT_MS)

    token = None
    with report.step("the invitee signs up with that address and joins as a member"):
        status, session = http(
            config, "POST", "/auth/v1/signup", s["anon_key"],
            {"email": s["invited"], "password": INVITEE_PASSWORD}, apikey=s["anon_key"],
        )
        assert status == 200, (status, session)
        token = session["access_token"]
        page.reload()
        expect(people.get_by_role("row", name=s["invited"])).to_contain_text("Active", timeout=WAIT_MS)

    member_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    member = member_ctx.new_page()
    member_problems = watch_console(member)
    nav = member.get_by_role("navigation", name="Main")
    with report.step("the member sees no settings; a settings URL typed by hand sends them to the inbox"):
        sign_in_as(member, config, s["invited"], INVITEE_PASSWORD)
        expect(nav.get_by_role("link", name="Inbox")).to_be_visible()
        for name in SETTINGS:
            expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
        for path in ("settings/keys", "settings/members", "settings/webhooks", "settings/organization"):
            member.goto(f"{config['base']}/#/{path}")
            expect(member).to_have_url(f"{config['base']}/#/inbox", timeout=WAIT_MS)
        expect(member.get_by_label("E-mail address")).to_have_count(0)

    with report.step("the server refuses the member's settings writes"):
        refusals = {
            "api key": http(config, "POST", "/rest/v1/api_keys", token, {"name": "x"}, apikey=s["anon_key"]),
            "invitation": http(config, "POST", "/rest/v1/agents", token,
                               {"name": "x@example.com", "extra": {"role": "owner"}}, apikey=s["anon_key"]),
            "quick reply": http(config, "POST", "/rest/v1/quick_replies", token,
                                {"name": "x", "content": "y"}, apikey=s["anon_key"]),
            "webhook": http(config, "GET", "/functions/v1/api/webhooks", token),
        }
        for what, (status, body) in refusals.items():
            assert status == 403, (what, status, body)

    with report.step("made admin by the owner, they see the admin's settings (not API keys)"):
        row = people.get_by_role("row", name=s["invited"])
        row.get_by_label(f"Role of {s['invited']}").select_option("admin")
        expect(row.get_by_label(f"Role of {s['invited']}")).to_have_value("admin", timeout=WAIT_MS)
        page.reload()
        expect(people.get_by_label(f"Role of {s['invited']}")).to_have_value("admin", timeout=WAIT_MS)
        member.reload()
        expect(nav.get_by_role("link", name="Members")).to_be_visible(timeout=WAIT_MS)
        expect(nav.get_by_role("link", name="API keys")).to_have_count(0)

    with report.step("removed after a confirmation, they belong to no organization"):
        people.get_by_role("button", name=f"Remove {s['invited']}").click()
        page.get_by_role("dialog").get_by_role("button", name="Remove").click()
        expect(people.get_by_role("row", name=s["invited"])).to_have_count(0, timeout=WAIT_MS)
        member.reload()
        expect(member.get_by_text("No organization yet")).to_be_visible(timeout=WAIT_MS)

    with report.step("no CSP violation and no script error"):
        assert not problems, problems
        assert not member_problems, member_problems
    member_ctx.close()
    owner_ctx.close()
