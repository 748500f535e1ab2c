// Feeds every webhook body the sandbox emitted to whatsapp-api-js's `post` (signature
// check over the raw body included) and checks the arguments its `on.message` /
// `on.status` callbacks get against the JSON.
//
// argv[2]: a JSON file {"app_secret", "bodies": [{"kind", "body", "signature"}]}.
// Output (stdout): {"version", "results": [{"kind", "ok", "typed", "error"?}]}.
// Run by crates/wakit-sim/tests/whatsapp_api_js.rs.

import { readFileSync } from "node:fs";
import { WhatsAppAPI } from "whatsapp-api-js";

const version = JSON.parse(
  readFileSync(new URL("./node_modules/whatsapp-api-js/package.json", import.meta.url), "utf8"),
).version;

function eq(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`${what}: whatsapp-api-js has ${JSON.stringify(got)}, the JSON has ${JSON.stringify(want)}`);
  }
}

function checkRecipient(args, contact, phone) {
  eq("recipient.bsuid", args.recipient.bsuid, contact.user_id);
  eq("recipient.pbsuid", args.recipient.pbsuid, contact.parent_user_id);
  eq("recipient.phone", args.recipient.phone, phone);
  eq("contact.profile", args.contact.profile, contact.profile);
}

function checkMessage(args, value) {
  const msg = value.messages[0];
  const contact = value.contacts[0];
  eq("phoneID", args.phoneID, value.metadata.phone_number_id);
  eq("message.id", args.message.id, msg.id);
  eq("message.type", args.message.type, msg.type);
  eq("message.from", args.message.from, msg.from);
  eq(`message.${msg.type}`, args.message[msg.type], msg[msg.type]);
  eq("name", args.name, contact.profile.name);
  checkRecipient(args, contact, msg.from);
  eq("from", args.from, msg.from ?? contact.parent_user_id ?? contact.user_id);
}

function checkStatus(args, value) {
  const status = value.statuses[0];
  const contact = value.contacts[0];
  eq("phoneID", args.phoneID, value.metadata.phone_number_id);
  eq("id", args.id, status.id);
  eq("status", args.status, status.status);
  eq("timestamp", args.timestamp, status.timestamp);
  eq("biz_opaque_callback_data", args.biz_opaque_callback_data, status.biz_opaque_callback_data);
  eq("pricing", args.pricing, status.pricing);
  eq("error", args.error, status.errors?.[0]);
  checkRecipient(args, contact, status.recipient_id);
}

async function check(item, appSecret) {
  let got = null;
  const api = new WhatsAppAPI({ token: "unused", appSecret });
  api.on.message = (args) => { got = { event: "message", args }; };
  api.on.status = (args) => { got = { event: "status", args }; };
  const data = JSON.parse(item.body);
  const { field, value } = data.entry[0].changes[0];
  if (field !== "messages") {
    // whatsapp-api-js 6.3 dispatches only `messages` and `calls`, and its `post` reads
    // value.metadata.phone_number_id first, which Meta's template and quality bodies do
    // not have: for those only the signature is checked.
    eq("signature verifies", await api.verifyRequestSignature(item.body, item.signature), true);
    return false;
  }
  // Throws when the X-Hub-Signature-256 does not verify.
  await api.post(data, item.body, item.signature);
  if (item.kind.startsWith("statuses/")) {
    eq("callback", got?.event, "status");
    checkStatus(got.args, value);
  } else {
    eq("callback", got?.event, "message");
    checkMessage(got.args, value);
  }
  return true;
}

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];
for (const item of input.bodies) {
  try {
    const typed = await check(item, input.app_secret);
    results.push({ kind: item.kind, ok: true, typed });
  } catch (e) {
    results.push({ kind: item.kind, ok: false, typed: false, error: `${e.name}: ${e.message}` });
  }
}
process.stdout.write(JSON.stringify({ version, results }));
