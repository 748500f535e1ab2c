"""Parses every webhook body the sandbox emitted with pywa and checks the typed values
against the JSON.

Input (argv[1]): a JSON file {"app_secret": str, "bodies": [{"kind", "body", "signature"}]}
where `body` is the exact text that was posted. Output (stdout): one JSON object
{"version": pywa's version, "results": [{"kind", "ok", "typed", "error"?}]}.
Run by crates/wakit-sim/tests/pywa.rs.
"""

import datetime
import json
import sys

import pywa
from pywa import WhatsApp, utils
from pywa.types import (
    CallbackButton,
    CallbackSelection,
    Message,
    MessageStatus,
    RawUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
)

# Webhook fields pywa 4.5 has no typed update for: checked as raw updates only.
RAW_ONLY_FIELDS = {"phone_number_quality_update"}


class Mismatch(Exception):
    pass


def eq(what, got, want):
    # pywa's StrEnums compare equal to their string values; UNKNOWN fallbacks do not.
    if got != want:
        raise Mismatch(f"{what}: pywa has {got!r}, the JSON has {want!r}")


def ts(value):
    return datetime.datetime.fromtimestamp(int(value), datetime.timezone.utc)


def check_user(user, contact):
    eq("from_user.bsuid", user.bsuid, contact["user_id"])
    eq("from_user.wa_id", user.wa_id, contact.get("wa_id"))
    eq("from_user.parent_bsuid", user.parent_bsuid, contact.get("parent_user_id"))
    profile = contact.get("profile", {})
    eq("from_user.name", user.name, profile.get("name"))
    eq("from_user.username", user.username, profile.get("username"))


def check_media(obj, item):
    eq("media.id", obj.id, item["id"])
    eq("media.mime_type", obj.mime_type, item["mime_type"])
    eq("media.sha256", obj.sha256, item["sha256"])


def check_message(u, value, kind):
    msg = value["messages"][0]
    eq("id", u.id, msg["id"])
    eq("timestamp", u.timestamp, ts(msg["timestamp"]))
    eq("metadata.phone_number_id", u.metadata.phone_number_id,
       value["metadata"]["phone_number_id"])
    check_user(u.from_user, value["contacts"][0])
    context = msg.get("context")
    if context:
        eq("reply_to_message.message_id", u.reply_to_message.message_id, context["id"])
    detail = kind.split("/", 1)[1]
    if detail == "button":
        eq("type", type(u), CallbackButton)
        eq("data", u.data, msg["button"]["payload"])
        eq("title", u.title, msg["button"]["text"])
        return
    if detail == "interactive.button_reply":
        eq("type", type(u), CallbackButton)
        eq("data", u.data, msg["interactive"]["button_reply"]["id"])
        eq("title", u.title, msg["interactive"]["button_reply"]["title"])
        return
    if detail == "interactive.list_reply":
        reply = msg["interactive"]["list_reply"]
        eq("type", type(u), CallbackSelection)
        eq("data", u.data, reply["id"])
        eq("title", u.title, reply["title"])
        eq("description", u.description, reply.get("description"))
        return
    eq("type", type(u), Message)
    eq("message type", u.type, msg["type"])
    body = msg.get(msg["type"])
    if detail == "text":
        eq("text", u.text, body["body"])
    elif detail in ("image", "video", "document", "audio", "sticker"):
        media = getattr(u, detail)
        check_media(media, body)
        if detail in ("image", "video", "document"):
            eq("caption", media.caption, body.get("caption"))
        if detail == "document":
            eq("filename", media.filename, body.get("filename"))
        if detail == "audio":
            eq("voice", media.voice, body.get("voice", False))
        if detail == "sticker":
            eq("animated", media.animated, body.get("animated", False))
    elif detail == "location":
        eq("latitude", u.location.latitude, body["latitude"])
        eq("longitude", u.location.longitude, body["longitude"])
        eq("location.name", u.location.name, body.get("name"))
        eq("location.address", u.location.address, body.get("address"))
    elif detail == "contacts":
        eq("contacts count", len(u.contacts), len(body))
        eq("contacts[0].formatted_name", u.contacts[0].name.formatted_name,
           body[0]["name"]["formatted_name"])
    elif detail == "reaction":
        eq("reaction.message_id", u.reaction.message_id, body["message_id"])
        eq("reaction.emoji", u.reaction.emoji, body.get("emoji") or None)
    elif detail == "unsupported":
        eq("error.code", u.error.code, msg["errors"][0]["code"])
    else:
        raise Mismatch(f"no check for message kind {kind}")


def check_status(u, value, kind):
    status = value["statuses"][0]
    eq("type", type(u), MessageStatus)
    eq("id", u.id, status["id"])
    eq("status", u.status, status["status"])
    eq("timestamp", u.timestamp, ts(status["timestamp"]))
    eq("tracker", u.tracker, status.get("biz_opaque_callback_data"))
    contact = value["contacts"][0]
    check_user(u.from_user, contact)
    eq("recipient_user_id = contact user_id", status["recipient_user_id"], contact["user_id"])
    if "recipient_id" in status:
        eq("recipient_id = contact wa_id", status["recipient_id"], contact.get("wa_id"))
    pricing = status.get("pricing")
    if pricing:
        eq("pricing.category", u.pricing.category, pricing["category"])
        eq("pricing.model", u.pricing.model, pricing["pricing_model"])
    if kind == "statuses/failed":
        eq("error.code", u.error.code, status["errors"][0]["code"])
    else:
        eq("error", u.error, None)


def check_template_status(u, entry, value):
    eq("type", type(u), TemplateStatusUpdate)
    eq("id", u.id, entry["id"])
    eq("timestamp", u.timestamp, ts(entry["time"]))
    eq("new_status", u.new_status, value["event"])
    eq("template_id", u.template_id, str(value["message_template_id"]))
    eq("template_name", u.template_name, value["message_template_name"])
    eq("template_language", u.template_language, value["message_template_language"])
    eq("category", u.category, value.get("message_template_category"))
    eq("reason", u.reason, value.get("reason"))


def check_template_quality(u, entry, value):
    eq("type", type(u), TemplateQualityUpdate)
    eq("id", u.id, entry["id"])
    eq("timestamp", u.timestamp, ts(entry["time"]))
    eq("template_id", u.template_id, str(value["message_template_id"]))
    eq("new_quality_score", u.new_quality_score, value["new_quality_score"])
    eq("previous_quality_score", u.previous_quality_score, value["previous_quality_score"])


def check(wa, app_secret, item):
    raw_bytes = item["body"].encode("utf-8")
    if not utils.webhook_updates_validator(app_secret, raw_bytes, item["signature"]):
        raise Mismatch("X-Hub-Signature-256 does not verify")
    raw = RawUpdate(raw_bytes, hmac_header=item["signature"], update_hash="check")
    entry = raw["entry"][0]
    field = entry["changes"][0]["field"]
    value = entry["changes"][0]["value"]
    handler = wa._get_handler_type(raw)
    if field in RAW_ONLY_FIELDS:
        if handler is not None:
            raise Mismatch(f"pywa now has a handler ({handler.__name__}) for {field}: add a check")
        eq("raw update field", raw.field, field)
        eq("raw update waba", raw.id, entry["id"])
        return False
    if handler is None:
        raise Mismatch(f"pywa found no handler for field {field}")
    update = wa._handlers_to_updates[handler].from_update(client=wa, update=raw)
    kind = item["kind"]
    if kind.startswith("messages/"):
        check_message(update, value, kind)
    elif kind.startswith("statuses/"):
        check_status(update, value, kind)
    elif kind.startswith("message_template_status_update/"):
        check_template_status(update, entry, value)
    elif kind.startswith("message_template_quality_update/"):
        check_template_quality(update, entry, value)
    else:
        raise Mismatch(f"no check for kind {kind}")
    return True


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    wa = WhatsApp(token="unused", filter_updates=False, validate_updates=True)
    results = []
    for item in data["bodies"]:
        try:
            typed = check(wa, data["app_secret"], item)
            results.append({"kind": item["kind"], "ok": True, "typed": typed})
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            results.append({"kind": item["kind"], "ok": False, "typed": False,
                            "error": f"{type(e).__name__}: {e}"})
    json.dump({"version": pywa.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
