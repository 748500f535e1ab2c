"""Contacts, templates, quick replies and AI agents as the organization's owner: a
contact found by name and by phone, renamed, its conversation opened in the inbox; a
template previewed with its parameters filled; a quick reply added, edited, deleted;
an AI agent created (its provider key never shown back) and turned inactive; axe-core
on every page; screenshots."""

import re

from playwright.sync_api import expect

from harness import WAIT_MS, watch_console
from people import accessible, sign_in_as


def check(report, browser, config):
    s = config["settings"]
    maria = config["open"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    problems = watch_console(page)
    nav = page.get_by_role("navigation", name="Main")
    contacts = page.get_by_role("table", name="Contacts")

    with report.step("contacts: listed, found by name and by part of the phone"):
        sign_in_as(page, config, s["owner"])
        nav.get_by_role("link", name="Contacts").click()
        # The first page (the seed has more contacts than a page holds).
        expect(contacts.locator("tbody tr").first).to_be_visible(timeout=WAIT_MS)
        expect(contacts).not_to_contain_text(config["other"]["name"])
        search = page.get_by_label("Search contacts by name or phone")
        search.fill(maria["name"])
        expect(contacts.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
        expect(contacts).to_contain_text(maria["name"])
        search.fill("juan perez")
        expect(contacts.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
        expect(contacts).to_contain_text(config["closed"]["name"])
        search.fill(maria["phone"][-6:])
        expect(contacts.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
        expect(contacts).to_contain_text(maria["name"])
        accessible(page, config, "contacts")

    with report.step("contacts: renamed, and the conversation opens in the inbox"):
        page.get_by_role("button", name=f"Open {maria['name']}").click()
        page.get_by_label("Contact name").fill("Maria G. (Monterrey)")
        page.get_by_role("button", name="Save name").click()
        expect(contacts).to_contain_text("Maria G. (Monterrey)", timeout=WAIT_MS)
        page.get_by_role("link", name="Conversation — last message").first.click()
        expect(page).to_have_url(re.compile(r"#/inbox/[0-9a-f-]{36}$"), timeout=WAIT_MS)
        expect(page.get_by_role("region", name="Conversation with Maria G. (Monterrey)")).to_be_visible(timeout=WAIT_MS)

    with report.step("contacts: the name changed back (the inbox checks know her by it)"):
        nav.get_by_role("link", name="Contacts").click()
        expect(contacts.locator("tbody tr").first).to_be_visible(timeout=WAIT_MS)
        page.get_by_label("Search contacts by name or phone").fill(maria["phone"][-6:])
        expect(contacts.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
        page.get_by_role("button", name="Open Maria G. (Monterrey)").click()
        page.get_by_label("Contact name").fill(maria["name"])
        page.get_by_role("button", name="Save name").click()
        expect(contacts).to_contain_text(maria["name"], timeout=WAIT_MS)

    with report.step("templates: status, category, language; a preview filled as you type"):
        nav.get_by_role("link", name="Templates").click()
        # The org's second number (the inbox's number filter) has no templates.
        number = page.get_by_label("Number")
        option = number.locator("option", has_text="+5215588392274")
        expect(option).to_have_count(1, timeout=WAIT_MS)
        number.select_option(option.get_attribute("value"))
        templates = page.get_by_role("table", name="Templates")
        row = templates.get_by_role("row", name="appointment_reminder")
        expect(row).to_contain_text("UTILITY", timeout=WAIT_MS)
        expect(row).to_contain_text("es")
        row.get_by_role("button", name="Preview").click()
        preview = page.get_by_role("status", name="Preview")
        expect(preview).to_have_text("Hola {{1}}, te esperamos el {{2}}.", timeout=WAIT_MS)
        page.get_by_label("Parameter {{1}}").fill("Ana")
        page.get_by_label("Parameter {{2}}").fill("lunes")
        expect(preview).to_have_text("Hola Ana, te esperamos el lunes.")
        accessible(page, config, "templates")

    with report.step("quick replies: added, edited, deleted after a confirmation"):
        nav.get_by_role("link", name="Quick replies").click()
        replies = page.get_by_role("table", name="Quick replies")
        page.get_by_label("Shortcut name").fill("saludo")
        page.get_by_label("Reply text").fill("¡Hola! ¿En qué te ayudo?")
        page.get_by_role("button", name="Add quick reply").click()
        expect(replies).to_contain_text("/saludo", timeout=WAIT_MS)
        page.get_by_role("button", name="Edit saludo").click()
        page.get_by_label("Reply text").fill("¡Hola! Gracias por escribir.")
        page.get_by_role("button", name="Save quick reply").click()
        expect(replies).to_contain_text("Gracias por escribir", timeout=WAIT_MS)
        page.get_by_label("Shortcut name").fill("envios")
        page.get_by_label("Reply text").fill("Enviamos a todo México.")
        page.get_by_role("button", name="Add quick reply").click()
        expect(replies).to_contain_text("/envios", timeout=WAIT_MS)
        page.get_by_role("button", name="Delete envios").click()
        page.get_by_role("dialog").get_by_role("button", name="Delete").click()
        expect(replies).not_to_contain_text("/envios", timeout=WAIT_MS)
        expect(replies).to_contain_text("/saludo")
        accessible(page, config, "quick-replies")

    with report.step("AI agents: created with a write-only key, then made inactive"):
        nav.get_by_role("link", name="AI agents").click()
        page.get_by_label("Agent name").fill("Sofía")
        page.get_by_label("Provider API URL").fill("https://llm.example.com/v1")
        page.get_by_label("Model").fill("small-model")
        page.get_by_label("Instructions").fill("Answer briefly, in Spanish.")
        page.get_by_label("State").select_option("active")
        page.get_by_label("Provider API key").fill("sk-provider-never-shown")
        page.get_by_label("Tools (JSON)").fill("{not json")
        page.get_by_role("button", name="Create agent").click()
        expect(page.locator(".form-error").filter(has_text="Tools must be JSON")).to_be_visible(timeout=WAIT_MS)
        page.get_by_label("Tools (JSON)").fill("[]")
        page.get_by_role("button", name="Create agent").click()
        agents = page.get_by_role("table", name="AI agents")
        row = agents.get_by_role("row", name="Sofía")
        expect(row).to_contain_text("Active", timeout=WAIT_MS)
        expect(row).to_contain_text("Set")
        assert "sk-provider-never-shown" not in page.content()
        row.get_by_role("button", name="Edit Sofía").click()
        expect(page.get_by_label("Provider API key")).to_have_value("")
        page.get_by_label("State").select_option("inactive")
        page.get_by_role("button", name="Save agent").click()
        expect(row).to_contain_text("Inactive", timeout=WAIT_MS)
        expect(row).to_contain_text("Set")
        accessible(page, config, "settings-ai-agents")

    with report.step("at phone width the pages fit the screen (wide tables scroll inside their card)"):
        page.set_viewport_size({"width": 390, "height": 844})
        for path in ("contacts", "templates", "quick-replies", "settings/webhooks", "settings/members", "settings/keys"):
            page.goto(f"{config['base']}/#/{path}")
            page.locator("main table, main .empty").first.wait_for(timeout=WAIT_MS)
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], (path, width)
        accessible(page, config, "phone-keys")

    with report.step("no CSP violation and no script error"):
        assert not problems, problems
    ctx.close()
