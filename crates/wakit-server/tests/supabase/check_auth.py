"""supabase-py, unmodified, against wakit's /auth/v1: sign-up, wrong and right password,
get_user, refresh_session (rotation, then the spent token refused), update_user
(password) and sign_out. Usage: python check_auth.py URL ANON_KEY EMAIL. Prints one JSON
object: {"steps": [{"step", "ok", "detail"}...]}."""

import json
import sys
import traceback

from supabase import ClientOptions, create_client
from supabase_auth.errors import AuthApiError

url, anon_key, email = sys.argv[1:4]
password, new_password = "first password 1", "second password 2"
steps = []


def check(step, ok, detail=None):
    steps.append({"step": step, "ok": bool(ok), "detail": detail})


def client():
    options = ClientOptions(auto_refresh_token=False, persist_session=False)
    return create_client(url, anon_key, options=options)


def error_of(call):
    """The AuthApiError a call raises, as {code, status}; None if it succeeds."""
    try:
        call()
    except AuthApiError as e:
        return {"code": e.code, "status": e.status}
    return None


def main():
    supabase = client()
    up = supabase.auth.sign_up(
        {"email": email, "password": password, "options": {"data": {"name": "Ana"}}}
    )
    check("sign_up answers a session", up.session and up.user.email == email)
    check("sign_up keeps user_metadata", up.user.user_metadata.get("name") == "Ana")
    me = supabase.auth.get_user()
    check("get_user reads the signed-in user", me and me.user.id == up.user.id)

    wrong = error_of(
        lambda: client().auth.sign_in_with_password({"email": email, "password": "nope nope"})
    )
    check("wrong password is invalid_credentials (400)",
          wrong == {"code": "invalid_credentials", "status": 400}, wrong)

    signed_in = supabase.auth.sign_in_with_password({"email": email, "password": password})
    check("sign_in_with_password", signed_in.session and signed_in.session.access_token)
    first = signed_in.session.refresh_token
    refreshed = supabase.auth.refresh_session()
    second = refreshed.session.refresh_token
    check("refresh_session rotates the refresh token", second and second != first)

    updated = supabase.auth.update_user({"password": new_password})
    check("update_user changes the password", updated.user.email == email)
    old = error_of(
        lambda: client().auth.sign_in_with_password({"email": email, "password": password})
    )
    check("the old password no longer signs in", old and old["code"] == "invalid_credentials", old)

    reuse = error_of(lambda: client().auth.refresh_session(first))
    check("a spent refresh token is refused",
          reuse and reuse["code"] == "refresh_token_already_used", reuse)

    fresh = client()
    token = fresh.auth.sign_in_with_password(
        {"email": email, "password": new_password}
    ).session.access_token
    fresh.auth.sign_out()
    check("sign_out forgets the session", fresh.auth.get_session() is None)
    ended = error_of(lambda: client().auth.get_user(token))
    check("sign_out ended it on the server",
          ended and ended["code"] == "session_not_found", ended)


try:
    main()
except Exception:  # noqa: BLE001 - every failure is reported as a step
    check("no exception", False, traceback.format_exc())
print(json.dumps({"steps": steps}))
