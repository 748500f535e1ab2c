"""Runs pywa's Graph client against the sandbox and checks each call behaves as Meta
documents it (answers parse, values round-trip, documented errors come with Meta's code).

argv[1]: a JSON file {"origin", "token", "phone_id", "waba_id", "customer",
"customer_bsuid", "inbound_wamid", "template", "auth_template"}.
Output (stdout): {"version": pywa's version, "results": [{"call", "ok", "error"?}]}.
Run by crates/wakit-sim/tests/pywa.rs.
"""

import datetime
import json
import sys

import httpx
import pywa
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types import (
    Button,
    CallbackData,  # noqa: F401 - imported to prove the public types load
    Contact,
    Section,
    SectionList,
    SectionRow,
    URLButton,
    VoiceCallButton,
)
from pywa.types.templates import (
    BodyText,
    ParamFormat,
    Template,
    TemplateCategory,
    TemplateLanguage,
)

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


class Failed(Exception):
    pass


def expect(what, cond):
    if not cond:
        raise Failed(what)


def expect_error(code, fn):
    try:
        fn()
    except WhatsAppError as e:
        expect(f"error code {e.code} == {code}", e.code == code)
        return e
    raise Failed(f"expected WhatsAppError {code}, the call succeeded")


def client(cfg):
    origin = httpx.URL(cfg["origin"])

    def to_sandbox(request):
        # pywa always targets graph.facebook.com; send it to the sandbox instead.
        if request.url.host == "graph.facebook.com":
            request.url = request.url.copy_with(
                scheme=origin.scheme, host=origin.host, port=origin.port
            )

    session = httpx.Client(event_hooks={"request": [to_sandbox]}, timeout=10)
    return WhatsApp(
        phone_id=cfg["phone_id"],
        token=cfg["token"],
        waba_id=cfg["waba_id"],
        session=session,
        api_version="24.0",
    )


def calls(wa, cfg):
    to, bsuid = cfg["customer"], cfg["customer_bsuid"]
    state = {}

    def sent(result):
        expect(f"a wamid, got {result.id!r}", result.id.startswith("wamid."))
        return result

    def text():
        sent(wa.send_message(to=to, text="Hola desde pywa"))

    def text_to_bsuid():
        r = sent(wa.send_message(to=bsuid, text="Hola por BSUID"))
        expect("input echoes the BSUID", r.input == bsuid)

    def buttons():
        sent(wa.send_message(to=to, text="Pick one",
                             buttons=[Button(title="Yes", callback_data="yes"),
                                      Button(title="No", callback_data="no")]))

    def section_list():
        rows = [SectionRow(title="Tomorrow", callback_data="r1", description="9-12 h")]
        sent(wa.send_message(to=to, text="When?", buttons=SectionList(
            button_title="Choose", sections=[Section(title="Days", rows=rows)])))

    def url_button():
        sent(wa.send_message(to=to, text="Track it",
                             buttons=URLButton(title="Track", url="https://example.com/t")))

    def voice_call_button():
        sent(wa.send_message(to=to, text="Call us", buttons=VoiceCallButton(
            title="Call now", ttl_minutes=datetime.timedelta(days=1))))

    def request_contact_info():
        sent(wa.request_contact_info(to=to, text="May we have your number?"))

    def request_location():
        sent(wa.request_location(to=to, text="Where are you?"))

    def image_link():
        sent(wa.send_image(to=to, image="https://example.com/p.jpg", caption="pic"))

    def image_bytes():
        sent(wa.send_image(to=to, image=JPEG, mime_type="image/jpeg"))

    def video_link():
        sent(wa.send_video(to=to, video="https://example.com/v.mp4"))

    def document_link():
        sent(wa.send_document(to=to, document="https://example.com/f.pdf", filename="f.pdf"))

    def audio_link():
        sent(wa.send_audio(to=to, audio="https://example.com/a.mp3"))

    def voice_bytes():
        sent(wa.send_voice(to=to, voice=b"OggS" + b"\x00" * 60, mime_type="audio/ogg"))

    def sticker_link():
        sent(wa.send_sticker(to=to, sticker="https://example.com/s.webp"))

    def reaction():
        sent(wa.send_reaction(to=to, emoji="👍", message_id=cfg["inbound_wamid"]))

    def unreaction():
        sent(wa.remove_reaction(to=to, message_id=cfg["inbound_wamid"]))

    def location():
        sent(wa.send_location(to=to, latitude=19.43, longitude=-99.13, name="Zócalo"))

    def contact():
        card = Contact(name=Contact.Name(formatted_name="Ana López", first_name="Ana"),
                       phones=[Contact.Phone(phone="+1 650 555 0000", type="CELL")])
        sent(wa.send_contact(to=to, contact=card))

    def mark_read():
        expect("success", wa.mark_message_as_read(message_id=cfg["inbound_wamid"]).success)

    def typing():
        expect("success", wa.indicate_typing(message_id=cfg["inbound_wamid"]).success)

    def upload_png():
        media = wa.upload_media(media=b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
                                mime_type="image/png", filename="a.png")
        state["media_id"] = media.id
        expect("an id", media.id)

    def upload_opus():
        media = wa.upload_media(media=b"OggS" + b"\x00" * 32, mime_type="audio/opus",
                                filename="a.opus")
        expect("an id", media.id)

    def upload_unsupported():
        e = expect_error(100, lambda: wa.upload_media(
            media=b"\x00" * 8, mime_type="application/x-foo", filename="a.foo"))
        expect("Meta's sentence", "Param file must be a file with one of the following types"
               in str(e.message))

    def media_url():
        url = wa.get_media_url(state["media_id"])
        expect("mime type", url.mime_type == "image/png")
        state["media_url"] = url.url

    def media_bytes():
        data = wa.get_media_bytes(state["media_url"])
        expect("the uploaded bytes", data.startswith(b"\x89PNG"))

    def delete_media():
        expect("success", wa.delete_media(state["media_id"]).success)

    def business_account():
        waba = wa.get_business_account()
        expect("id", str(waba.id) == cfg["waba_id"])
        expect("name", bool(waba.name) and waba.timezone_id is not None)

    def phone_number():
        n = wa.get_business_phone_number()
        expect("id", str(n.id) == cfg["phone_id"])
        expect("country_code", n.country_code == "US")
        expect("conversational_automation", n.conversational_automation is not None)

    def phone_numbers():
        numbers = list(wa.get_business_phone_numbers())
        expect("the number is listed", any(str(n.id) == cfg["phone_id"] for n in numbers))

    def settings():
        s = wa.get_business_phone_number_settings()
        expect("identity check off", not s.user_identity_change.enable_identity_key_check)

    def update_settings():
        from pywa.types.others import UserIdentityChangeSettings
        ok = wa.update_business_phone_number_settings(
            user_identity_change=UserIdentityChangeSettings(enable_identity_key_check=True))
        expect("success", ok.success)
        s = wa.get_business_phone_number_settings()
        expect("identity check now on", s.user_identity_change.enable_identity_key_check)

    def conversational_automation():
        ok = wa.update_conversational_automation(ice_breakers=["Opening hours?", "Track order"])
        expect("success", ok.success)
        n = wa.get_business_phone_number()
        expect("ice breakers", tuple(n.conversational_automation.ice_breakers or ())
               == ("Opening hours?", "Track order"))

    def business_profile():
        p = wa.get_business_profile()
        expect("industry", p.industry is not None)

    def update_business_profile():
        expect("success", wa.update_business_profile(about="Open 9-18", email="a@b.co").success)
        p = wa.get_business_profile()
        expect("about round-trips", p.about == "Open 9-18" and p.email == "a@b.co")

    def create_template():
        created = wa.create_template(template=Template(
            name="pywa_created", language=TemplateLanguage.ENGLISH_US,
            category=TemplateCategory.UTILITY, parameter_format=ParamFormat.POSITIONAL,
            components=[BodyText("Hi {{1}}, your order {{2}} shipped", "Ana", "A-1")]))
        state["created_id"] = created.id
        expect("PENDING", created.status == "PENDING")

    def templates():
        result = wa.get_templates()
        names = [t.name for t in result]
        expect("seeded template listed", cfg["template"] in names)
        expect("summary counts", result.message_template_count >= 2
               and result.message_template_limit > 0 and result.total_count >= 2)

    def template():
        t = wa.get_template(state["created_id"])
        expect("name", t.name == "pywa_created")
        expect("quality score", t.quality_score is not None)

    def send_template():
        sent(wa.send_template(to=to, name=cfg["template"], language=TemplateLanguage.ENGLISH_US,
                              params=[BodyText.params("Ana", "A-1")]))

    def auth_template_to_bsuid():
        expect_error(131062, lambda: wa.send_template(
            to=bsuid, name=cfg["auth_template"], language=TemplateLanguage.ENGLISH_US,
            params=[BodyText.params("123456")]))

    def delete_template():
        expect("success", wa.delete_template("pywa_created").success)
        expect("gone", "pywa_created" not in [t.name for t in wa.get_templates()])

    def register():
        expect("success", wa.register_phone_number(pin="123456").success)

    def deregister():
        expect("success", wa.deregister_phone_number().success)
        expect_error(133010, lambda: wa.send_message(to=to, text="not registered"))
        expect("registered again", wa.register_phone_number(pin="123456").success)

    def reply():
        sent(wa.send_message(to=to, text="answering", reply_to_message_id=cfg["inbound_wamid"]))

    def template_to_bsuid():
        sent(wa.send_template(to=bsuid, name=cfg["template"],
                              language=TemplateLanguage.ENGLISH_US,
                              params=[BodyText.params("Ana", "A-2")]))

    def update_template():
        updated = wa.update_template(state["created_id"], new_components=[
            BodyText("Hi {{1}}, order {{2}} is on its way", "Ana", "A-1")])
        expect("success", updated.success and updated.name == "pywa_created")
        t = wa.get_template(state["created_id"])
        expect("new text", "on its way" in json.dumps([c.to_dict() for c in t.components]))

    def template_health():
        data = wa.api._request("GET", f"/{state['created_id']}",
                               params={"fields": "health_status"})
        entities = [e["entity_type"] for e in data["health_status"]["entities"]]
        expect("MESSAGE_TEMPLATE entity", entities[0] == "MESSAGE_TEMPLATE")

    def display_name():
        expect("success", wa.update_display_name("Acme Support 2").success)

    def request_code():
        expect("success", wa.request_verification_code(code_method="SMS",
                                                        language_code="en").success)

    def verify_code():
        expect("success", wa.verify_phone_number(code="123456").success)

    def block():
        r = wa.block_users(users=[to])
        expect("added", len(r.added_users) == 1)

    def blocked_ids():
        # Meta documents list items as {"messaging_product", "wa_id"} (pywa's own
        # docstring shows it); pywa 4.5's typed get_blocked_users() wants an "input" key
        # Meta does not send, so the documented answer is checked through pywa's api.
        data = wa.api.get_blocked_users(phone_id=cfg["phone_id"])["data"]
        expect("Meta's item shape", all(set(u) == {"messaging_product", "wa_id"} for u in data))
        return [u["wa_id"] for u in data]

    def blocked():
        expect("listed", to in blocked_ids())

    def unblock():
        r = wa.unblock_users(users=[to])
        expect("removed", len(r.removed_users) == 1)
        expect("no longer listed", to not in blocked_ids())

    return [text, text_to_bsuid, buttons, section_list, url_button, voice_call_button,
            request_contact_info, request_location, image_link, image_bytes, video_link,
            document_link, audio_link, voice_bytes, sticker_link, reaction, unreaction,
            location, contact, mark_read, typing, upload_png, upload_opus,
            upload_unsupported, media_url, media_bytes, delete_media, business_account,
            phone_number, phone_numbers, settings, update_settings,
            conversational_automation, business_profile, update_business_profile,
            create_template, templates, template, update_template, template_health,
            send_template, template_to_bsuid, auth_template_to_bsuid, delete_template,
            reply, display_name, register, deregister, request_code, verify_code, block,
            blocked, unblock]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cfg = json.load(f)
    wa = client(cfg)
    results = []
    for fn in calls(wa, cfg):
        try:
            fn()
            results.append({"call": fn.__name__, "ok": True})
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            results.append({"call": fn.__name__, "ok": False,
                            "error": f"{type(e).__name__}: {e}"})
    json.dump({"version": pywa.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
