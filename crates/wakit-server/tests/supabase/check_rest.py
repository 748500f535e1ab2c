"""supabase-py, unmodified, against wakit's /rest/v1 as a signed-in admin of one
organization (invited before the run): the organization's rows with embeds, the RPC,
writes with their representation, a send through messages and a refused one, counts,
maybe_single, CSV, another organization unseen, PostgREST's errors.
Usage: python check_rest.py URL ANON_KEY EMAIL. Prints one JSON object:
{"steps": [{"step", "ok", "detail"}...]}."""

import json
import sys
import traceback

from postgrest.exceptions import APIError
from supabase import ClientOptions, create_client

url, anon_key, email = sys.argv[1:4]
steps = []


def check(step, ok, detail=None):
    steps.append({"step": step, "ok": bool(ok), "detail": detail})


def error_of(call):
    """The APIError a call raises, as {code, message}; None if it succeeds."""
    try:
        call()
    except APIError as e:
        return {"code": e.code, "message": e.message}
    return None


def main():
    options = ClientOptions(auto_refresh_token=False, persist_session=False)
    db = create_client(url, anon_key, options=options)
    up = db.auth.sign_up({"email": email, "password": "a long enough password"})
    check("sign_up joins the invitation", up.session is not None)

    convs = (
        db.table("conversations")
        .select("*, messages(*), contact_address:contacts_addresses(*)")
        .execute()
        .data
    )
    check(
        "conversations with messages and the contact address",
        len(convs) == 1
        and len(convs[0]["messages"]) == 1
        and convs[0]["contact_address"]["profile_name"] == "Maria",
        convs,
    )
    org, conv = convs[0]["organization_id"], convs[0]["id"]
    orgs = db.table("organizations").select("id").execute().data
    check("only the member's organization", orgs == [{"id": org}], orgs)

    authorized = db.rpc("get_authorized_orgs", {"role": "admin"}).execute().data
    check("rpc get_authorized_orgs", authorized == [org], authorized)

    reply = (
        db.table("quick_replies")
        .insert({"organization_id": org, "name": "hi", "content": "Hello!"})
        .execute()
        .data
    )
    check("insert answers the row", reply and reply[0]["content"] == "Hello!", reply)
    counted = db.table("quick_replies").select("*", count="exact", head=True).execute()
    check("count=exact with head", counted.count == 1, counted.count)
    csv = db.table("quick_replies").select("name,content").csv().execute().data
    check("csv", csv == "name,content\nhi,Hello!", csv)
    none = db.table("webhooks").select("*").maybe_single().execute()
    check("maybe_single on nothing", none is None or none.data is None, str(none))

    sent = (
        db.table("messages")
        .insert({"conversation_id": conv, "content": {"type": "text", "text": "¡Hola!"}})
        .execute()
        .data
    )
    check(
        "inserting an outgoing message sends it",
        sent and sent[0]["direction"] == "outgoing" and sent[0]["conversation_id"] == conv,
        sent,
    )
    closed = error_of(
        lambda: db.table("messages")
        .insert({"contact_address": "5215500009999", "content": {"type": "text", "text": "x"}})
        .execute()
    )
    check(
        "a send the window refuses is P0001 with its sentence",
        closed and closed["code"] == "P0001" and "Service window" in closed["message"],
        closed,
    )
    bad = error_of(lambda: db.table("contacts").select("*").eq("id", "nope").execute())
    check("a bad uuid is 22P02", bad and bad["code"] == "22P02", bad)
    missing = error_of(lambda: db.table("no_such_table").select("*").execute())
    check("an unknown table is PGRST205", missing and missing["code"] == "PGRST205", missing)


try:
    main()
except Exception:  # noqa: BLE001 - every failure is reported as a step
    check("no exception", False, traceback.format_exc())
print(json.dumps({"steps": steps}))
