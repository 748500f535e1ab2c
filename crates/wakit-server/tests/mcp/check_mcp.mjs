// The official MCP TypeScript SDK client, unmodified, against wakit's /functions/v1/mcp:
// the tools and their schemas, every tool called, the allowed lists, org B's key seeing
// nothing of org A, and the auth errors.
// Usage: node check_mcp.mjs ROOT KEY_A KEY_B CUSTOMER OTHER ACCOUNT TEMPLATE
// Prints one JSON object: {"steps": [{"step", "ok", "detail"}...]}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [root, keyA, keyB, customer, other, account, template] = process.argv.slice(2);
const endpoint = `${root}/functions/v1/mcp`;
const steps = [];
const check = (step, ok, detail) => steps.push({ step, ok: Boolean(ok), detail: detail ?? null });
const ALL = [
  "list_conversations", "fetch_conversation", "search_contacts", "list_accounts",
  "list_templates", "fetch_template", "send_message",
  "mark_read", "list_quick_replies", "wait_for_message",
];

async function connect(key, headers = {}) {
  const client = new Client({ name: "wakit-check", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
    requestInit: { headers: { Authorization: `Bearer ${key}`, ...headers } },
  });
  await client.connect(transport);
  client.negotiated = transport.protocolVersion;
  return client;
}

const call = (client, name, args = {}) => client.callTool({ name, arguments: args });
const said = (r) => r.content?.[0]?.text ?? "";
const phones = (r) => (r.structuredContent?.conversations ?? []).map((c) => c.contact.phone).sort();

async function main() {
  const a = await connect(keyA);
  check("initialize negotiates 2025-11-25", a.negotiated === "2025-11-25", a.negotiated);
  check("the server is wakit", a.getServerVersion()?.name === "wakit", a.getServerVersion());
  const { tools } = await a.listTools();
  const names = tools.map((t) => t.name);
  check("the seven hosted tools and three more are listed", ALL.every((n) => names.includes(n)), names);
  check(
    "every tool has an input and an output schema",
    tools.every((t) => t.inputSchema?.type === "object" && t.outputSchema?.type === "object"),
    tools.filter((t) => !t.outputSchema).map((t) => t.name),
  );

  const accounts = await call(a, "list_accounts");
  check("list_accounts", accounts.structuredContent?.accounts?.[0]?.phone === account, accounts);

  const convs = await call(a, "list_conversations");
  check("list_conversations lists both contacts", phones(convs).join() === [customer, other].sort().join(), convs);
  check("the text block holds the same JSON", JSON.stringify(JSON.parse(said(convs))) === JSON.stringify(convs.structuredContent), said(convs));
  const one = await call(a, "list_conversations", { limit: 1 });
  check("limit", one.structuredContent?.conversations?.length === 1, one);

  const conv = await call(a, "fetch_conversation", { contact_phone: customer });
  const texts = (conv.structuredContent?.messages ?? []).map((m) => m.content.text);
  check("fetch_conversation", texts.includes("hola") && conv.structuredContent?.service_window === "open", conv);

  const found = await call(a, "search_contacts", { number: customer.slice(-7) });
  check("search_contacts", found.structuredContent?.contacts?.[0]?.phone === customer, found);

  const list = await call(a, "list_templates");
  const tpl = list.structuredContent?.templates?.find((t) => t.name === template);
  check("list_templates", tpl, list);
  const detail = await call(a, "fetch_template", { template_id: tpl?.id ?? "none" });
  check("fetch_template has components", Array.isArray(detail.structuredContent?.components), detail);

  const send = { contact_phone: customer, content: { type: "text", text: "desde MCP" }, idempotency_key: "mcp-1" };
  const sent = await call(a, "send_message", send);
  check("send_message sends", sent.structuredContent?.status === "sent" && sent.structuredContent?.wamid, sent);
  const again = await call(a, "send_message", send);
  check("the same idempotency key answers the first send", again.structuredContent?.id === sent.structuredContent?.id, again);
  const tsend = await call(a, "send_message", {
    contact_phone: customer,
    content: { type: "data", kind: "template", data: { name: template, language: { code: "es" } } },
  });
  check("send_message sends a template", tsend.structuredContent?.id && !tsend.isError, tsend);
  const bad = await call(a, "send_message", { contact_phone: customer, content: { type: "text", text: " " } });
  check("an empty text is an isError result", bad.isError && said(bad) === "text must not be empty", bad);
  const replies = await call(a, "list_quick_replies");
  check("list_quick_replies", replies.structuredContent?.quick_replies?.[0]?.name === "gracias", replies);
  const read = await call(a, "mark_read", { contact_phone: customer });
  check("mark_read queues the read receipt", read.structuredContent?.status === "queued" && read.structuredContent?.wamid, read);
  const quiet = await call(a, "wait_for_message", { contact_phone: customer, timeout_s: 1 });
  check("wait_for_message times out without a message", quiet.structuredContent?.timed_out === true, quiet);
  const missing = await call(a, "fetch_conversation", { contact_phone: "5215550009999" });
  check("an unknown contact is an isError result", missing.isError && said(missing).includes("not found"), missing);

  const only = await connect(keyA, { "Allowed-Contacts": `+${customer}` });
  check("Allowed-Contacts lists only the allowed", phones(await call(only, "list_conversations")).join() === customer);
  const hidden = await call(only, "fetch_conversation", { contact_phone: other });
  check("a contact outside Allowed-Contacts is not fetched", hidden.isError && said(hidden).includes("not allowed"), hidden);
  const searched = await call(only, "search_contacts", { name: "Maria" });
  check("nor searched", searched.structuredContent?.contacts?.every((c) => c.phone === customer), searched);
  const refused = await call(only, "send_message", { contact_phone: other, content: { type: "text", text: "x" } });
  check("nor messaged", refused.isError && said(refused).includes("not allowed"), refused);

  const elsewhere = await connect(keyA, { "Allowed-Accounts": "15550000001" });
  const none = await call(elsewhere, "list_accounts");
  check("Allowed-Accounts filters the numbers", none.structuredContent?.accounts?.length === 0, none);
  const blocked = await call(elsewhere, "list_conversations");
  check("and the tools use no other number", blocked.isError && said(blocked).includes("No allowed"), blocked);
  const named = await call(elsewhere, "list_templates", { account_phone: account });
  check("not even named", named.isError && said(named).includes("not allowed"), named);

  const b = await connect(keyB);
  const bConvs = await call(b, "list_conversations");
  check("org B's key sees none of A's conversations", !bConvs.isError && phones(bConvs).length === 0, bConvs);
  const bConv = await call(b, "fetch_conversation", { contact_phone: customer });
  check("nor A's messages", bConv.isError, bConv);
  const bReplies = await call(b, "list_quick_replies");
  check("nor A's quick replies", bReplies.structuredContent?.quick_replies?.length === 0, bReplies);
  const bOnA = await call(b, "list_conversations", { account_phone: account });
  check("nor A's number", bOnA.isError && said(bOnA).includes("not found"), bOnA);

  const anonymous = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  const body = await anonymous.json();
  check("no key is 401 Missing Authorization header", anonymous.status === 401 && body.error === "Missing Authorization header", body);
  const wrong = "sk_not_a_real_key_0123456789";
  let refusedKey = null;
  try {
    await connect(wrong);
  } catch (e) {
    refusedKey = String(e);
  }
  check("an unknown key cannot connect, and the error does not echo it", refusedKey && !refusedKey.includes(wrong), refusedKey);
  await Promise.all([a, only, elsewhere, b].map((c) => c.close()));
}

main()
  .catch((e) => check("no exception", false, String(e?.stack ?? e)))
  .finally(() => console.log(JSON.stringify({ steps })));
