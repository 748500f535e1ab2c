"""The inbox: the list, search and filters, a conversation, a customer's message
arriving live, a reply whose status ticks live, a template to a closed window, the
organization switcher (and that the other organization's data never shows), phone
width and accessibility."""

import json
import time
import urllib.request

from playwright.sync_api import expect

from harness import WAIT_MS, axe, screenshot, sign_in, watch_console

# The page sizes of the list and of a conversation's history (inbox/list.js, thread.js).
PAGE = 30
HISTORY_PAGE = 40


def customer_writes(config, phone, text):
    """The sandbox's control API: the customer writes; the sandbox posts Meta's signed
    webhook to wakit."""
    body = json.dumps({"phone_number_id": config["phone_number_id"], "text": text}).encode()
    req = urllib.request.Request(
        f"{config['control']}/customers/{phone}/messages",
        data=body,
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status < 300, resp.status


def as_person(config, method, path, body):
    """A data API call as the signed-in person (/auth/v1 password grant, then Bearer)."""
    def call(url, data, headers):
        req = urllib.request.Request(url, data=json.dumps(data).encode(), headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    base, json_type = config["base"], {"content-type": "application/json"}
    session = call(
        f"{base}/auth/v1/token?grant_type=password",
        {"email": config["email"], "password": config["password"]},
        {**json_type, "apikey": config["anon"]},
    )
    auth = {**json_type, "authorization": f"Bearer {session['access_token']}"}
    return call(f"{base}{path}", body, auth)


def check(report, browser, config):
    maria, juan, ola = config["open"], config["closed"], config["other"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    problems = watch_console(page)
    conversations = page.get_by_role("list", name="Conversations")

    with report.step("the inbox lists the organization's conversations: names, previews, unread counts"):
        sign_in(page, config)
        expect(conversations.get_by_text(maria["name"])).to_be_visible(timeout=WAIT_MS)
        expect(conversations.get_by_text(juan["name"])).to_be_visible()
        expect(conversations.get_by_text(ola["name"])).to_have_count(0)
        row = conversations.locator("li", has_text=maria["name"])
        expect(row).to_contain_text("Monterrey")
        expect(row.locator(".badge")).to_have_text("1")
        expect(page.locator(".live")).to_have_text("Live", timeout=WAIT_MS)

    with report.step("the list is paged: a first page, the rest as it scrolls"):
        expect(conversations.locator("li")).to_have_count(PAGE, timeout=WAIT_MS)
        conversations.locator("li").last.scroll_into_view_if_needed()
        expect(conversations.locator("li")).to_have_count(config["conversations"], timeout=WAIT_MS)

    with report.step("search by name (case and accents folded) and by part of the phone"):
        search = page.get_by_label("Search conversations by name or phone")
        search.fill("juan perez")
        expect(conversations.locator("li")).to_have_count(1, timeout=WAIT_MS)
        expect(conversations).to_contain_text(juan["name"])
        search.fill(maria["phone"][-7:])
        expect(conversations.locator("li")).to_have_count(1, timeout=WAIT_MS)
        expect(conversations).to_contain_text(maria["name"])
        search.fill("")
        expect(conversations.locator("li")).to_have_count(PAGE, timeout=WAIT_MS)

    with report.step("the number filter keeps one number's conversations"):
        page.get_by_label("Number").select_option(index=1)
        expect(conversations.locator("li")).to_have_count(2, timeout=WAIT_MS)

    conv = page.get_by_role("region", name=f"Conversation with {maria['name']}")
    log = conv.get_by_role("log")
    with report.step("a conversation opens with its history and the window's time left; it is read"):
        conversations.get_by_role("link", name=maria["name"]).click()
        expect(log).to_contain_text("Monterrey", timeout=WAIT_MS)
        expect(conv.locator(".window")).to_contain_text("left")
        expect(conversations.locator("li", has_text=maria["name"]).locator(".badge")).to_have_count(0)

    with report.step("a customer's new message appears live, without a reload") as entry:
        started = time.monotonic()
        customer_writes(config, maria["phone"], "¿Siguen abiertos hoy?")
        expect(log).to_contain_text("¿Siguen abiertos hoy?", timeout=WAIT_MS)
        entry["detail"] = f"shown {time.monotonic() - started:.3f} s after the sandbox's POST"
        expect(conversations.locator("li", has_text=maria["name"])).to_contain_text("Siguen abiertos")

    with report.step("Enter sends a reply; its status ticks live to delivered or read"):
        box = conv.get_by_label("Message", exact=True)
        box.fill("Sí, hasta las 8")
        box.press("Enter")
        bubble = log.locator(".msg.out", has_text="Sí, hasta las 8")
        expect(bubble).to_be_visible(timeout=WAIT_MS)
        expect(box).to_have_value("")
        delivered = bubble.locator(".ticks[data-status=delivered], .ticks[data-status=read]")
        expect(delivered).to_have_count(1, timeout=WAIT_MS)

    with report.step("Shift+Enter starts a new line instead of sending"):
        box.press_sequentially("line one")
        box.press("Shift+Enter")
        box.press_sequentially("line two")
        assert box.input_value() == "line one\nline two", box.input_value()
        expect(log.locator(".msg.out", has_text="line one")).to_have_count(0)
        box.fill("")
        screenshot(page, config, "inbox")

    with report.step("typing / lists the quick replies; Enter puts one in the composer"):
        as_person(config, "POST", "/rest/v1/quick_replies",
                  {"organization_id": config["org_id"], "name": "horario", "content": "Abrimos de 9 a 20 h."})
        box.press_sequentially("/hor")
        expect(page.get_by_role("option", name="/horario")).to_be_visible(timeout=WAIT_MS)
        box.press("Enter")
        expect(box).to_have_value("Abrimos de 9 a 20 h.")
        expect(page.get_by_role("listbox", name="Quick replies")).to_be_hidden()
        box.fill("")

    with report.step("the inbox has no serious or critical accessibility violation"):
        violations = axe(page)
        assert not violations, violations

    with report.step("unread only leaves the conversations with unread messages"):
        page.get_by_label("Unread only").check()
        expect(conversations.locator("li")).to_have_count(1, timeout=WAIT_MS)
        expect(conversations).to_contain_text(juan["name"])
        page.get_by_label("Unread only").uncheck()
        expect(conversations.locator("li")).to_have_count(2, timeout=WAIT_MS)

    with report.step("a long history loads a page, then earlier ones as the reader scrolls up, in place"):
        conversations.get_by_role("link", name=juan["name"]).click()
        history = page.get_by_role("region", name=f"Conversation with {juan['name']}").get_by_role("log")
        messages = history.locator(".msg")
        expect(messages).to_have_count(HISTORY_PAGE, timeout=WAIT_MS)
        first = messages.first.get_attribute("data-id")
        history.evaluate("h => { h.scrollTop = 0; }")
        expect(messages).to_have_count(config["history"], timeout=WAIT_MS)
        expect(history).to_contain_text("The beginning of the conversation")
        # The message that was at the top is still where the reader left it.
        assert history.evaluate("h => h.scrollTop") > 0
        expect(history.locator(f'.msg[data-id="{first}"]')).to_be_in_viewport()

    with report.step("a closed window offers a template; it is sent with its parameters"):
        conversations.get_by_role("link", name=juan["name"]).click()
        closed = page.get_by_role("region", name=f"Conversation with {juan['name']}")
        expect(closed.locator(".window")).to_contain_text("closed", timeout=WAIT_MS)
        expect(closed.get_by_label("Message", exact=True)).to_be_hidden()
        closed.get_by_role("button", name="Send a template…").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Parameter {{1}}").fill("Juan")
        dialog.get_by_label("Parameter {{2}}").fill("lunes")
        expect(dialog.locator(".template-preview")).to_have_text("Hola Juan, te esperamos el lunes.")
        dialog.get_by_role("button", name="Send template").click()
        expect(dialog).to_have_count(0, timeout=WAIT_MS)
        sent = closed.get_by_role("log").locator(".msg.out", has_text="appointment_reminder")
        expect(sent).to_be_visible(timeout=WAIT_MS)
        expect(sent.locator(".ticks[data-status=sent], .ticks[data-status=delivered], .ticks[data-status=read]")).to_have_count(1, timeout=WAIT_MS)

    with report.step("the organization switcher shows the other organization's inbox, and only it"):
        page.get_by_label("Organization").select_option(label=f"{config['other_org']} (member)")
        expect(conversations.get_by_text(ola["name"])).to_be_visible(timeout=WAIT_MS)
        expect(conversations.get_by_text(maria["name"])).to_have_count(0)
        expect(conversations.get_by_text(juan["name"])).to_have_count(0)
        page.get_by_label("Organization").select_option(label=f"{config['org']} (admin)")
        expect(conversations.get_by_text(maria["name"])).to_be_visible(timeout=WAIT_MS)

    with report.step("phone width: the list, then the conversation, then back to the list"):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(config["base"] + "/#/inbox")
        expect(conversations).to_be_visible(timeout=WAIT_MS)
        conversations.get_by_role("link", name=maria["name"]).click()
        expect(log).to_contain_text("Sí, hasta las 8", timeout=WAIT_MS)
        expect(conversations).to_be_hidden()
        screenshot(page, config, "phone-conversation")
        conv.get_by_role("button", name="Back").click()
        expect(conversations).to_be_visible(timeout=WAIT_MS)
        expect(conv).to_have_count(0)

    with report.step("no CSP violation and no script error"):
        assert not problems, problems
    ctx.close()
