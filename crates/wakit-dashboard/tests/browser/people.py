"""What the settings, pages, members and isolation checks share: signing in as one of
the seeded people (config["settings"], from tests/dashboard_browser/settings_seed.rs),
calling the server outside the page (as a program would), and a page's
accessibility check with its screenshot."""

import json
import urllib.error
import urllib.request

from harness import axe, screenshot, sign_in


def sign_in_as(page, config, email, password=None):
    """Signs in through the form as `email` (a seeded person by default)."""
    person = {**config, "email": email, "password": password or config["settings"]["password"]}
    sign_in(page, person)


def http(config, method, path, token, body=None, apikey=None):
    """`method path` on the server with a bearer token (and `apikey`): (status, JSON)."""
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    if apikey:
        headers["apikey"] = apikey
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(config["base"] + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def access_token(config, email, password):
    """An /auth/v1 session's access token, as supabase-js would get it."""
    anon = config["settings"]["anon_key"]
    body = {"email": email, "password": password}
    status, session = http(config, "POST", "/auth/v1/token?grant_type=password", anon, body, apikey=anon)
    assert status == 200, (status, session)
    return session["access_token"]


def accessible(page, config, name):
    """No serious or critical axe-core violation on the page now; then its screenshot."""
    violations = axe(page)
    assert not violations, json.dumps(violations, indent=1)
    screenshot(page, config, name)
