"""Sign-in, the session cookie, CSRF, reload, password change and sign-out."""

from playwright.sync_api import expect

from harness import WAIT_MS, axe, screenshot, sign_in, watch_console

NEW_PASSWORD = "a brand new passphrase"


def check(report, browser, config):
    base = config["base"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    problems = watch_console(page)

    with report.step("the page comes with a strict CSP and the security headers"):
        resp = page.goto(base + "/")
        h = resp.headers
        csp = h["content-security-policy"]
        for part in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
            assert part in csp, csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
        assert h["x-content-type-options"] == "nosniff", h
        assert h["referrer-policy"] == "no-referrer", h
        assert h["cache-control"] == "no-cache", h

    with report.step("sign-in page: labelled fields, no serious accessibility violation"):
        page.get_by_label("E-mail").wait_for(timeout=WAIT_MS)
        violations = axe(page)
        assert not violations, violations
        screenshot(page, config, "signin")

    with report.step("a wrong password is refused with the server's sentence"):
        page.get_by_label("E-mail").fill(config["email"])
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Invalid login credentials", timeout=WAIT_MS)

    with report.step("signed in, the refresh token is in an HttpOnly cookie the page cannot read"):
        sign_in(page, config)
        cookies = {c["name"]: c for c in ctx.cookies()}
        refresh = cookies["wakit_refresh"]
        assert refresh["httpOnly"] and refresh["secure"], refresh
        assert refresh["sameSite"] == "Strict" and refresh["path"] == "/dashboard/session", refresh
        assert "wakit_refresh" not in page.evaluate("document.cookie")
        stored = page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")
        assert refresh["value"] not in stored and "eyJ" not in stored, stored

    with report.step("refreshing needs the CSRF header echoing the cookie"):
        statuses = page.evaluate(
            """async () => {
                const bare = await fetch('/dashboard/session/refresh', {method: 'POST'});
                const csrf = document.cookie.split('; ').find(c => c.startsWith('wakit_csrf=')).split('=')[1];
                const good = await fetch('/dashboard/session/refresh', {method: 'POST', headers: {'x-csrf-token': csrf}});
                return [bare.status, good.status];
            }"""
        )
        assert statuses == [403, 200], statuses

    with report.step("a reload keeps the session (the cookie buys a new access token)"):
        page.reload()
        page.get_by_role("navigation", name="Main").wait_for(timeout=WAIT_MS)

    with report.step("password change, sign-out, sign-in with the new password"):
        page.get_by_role("link", name="Account").click()
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.locator(".form-status")).to_have_text("Password changed.", timeout=WAIT_MS)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("E-mail").wait_for(timeout=WAIT_MS)
        assert "wakit_refresh" not in {c["name"] for c in ctx.cookies()}
        page.reload()
        page.get_by_label("E-mail").wait_for(timeout=WAIT_MS)
        sign_in(page, config, NEW_PASSWORD)
        config["password"] = NEW_PASSWORD

    with report.step("no CSP violation and no script error"):
        assert not problems, problems
    ctx.close()
