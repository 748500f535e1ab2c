// The official MCP TypeScript SDK's stdio transport against `wakit mcp` (run by
// crates/wakit/tests/cli_mcp.rs against a `wakit demo`): the tools listed, read and send
// tools called through the configured server, and --allowed-contacts enforced.
// Usage: node check_stdio.mjs WAKIT_BIN CONFIG HOME CONTACT NUMBER
// Prints one JSON object: {"steps": [{"step", "ok", "detail"}...]}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin, config, home, contact, number] = process.argv.slice(2);
const steps = [];
const check = (step, ok, detail) => steps.push({ step, ok: Boolean(ok), detail: detail ?? null });
const said = (r) => r.content?.[0]?.text ?? "";

async function connect(args = []) {
  const client = new Client({ name: "wakit-stdio-check", version: "1.0.0" });
  const env = { WAKIT_CONFIG: config, HOME: home, PATH: process.env.PATH ?? "" };
  await client.connect(new StdioClientTransport({ command: bin, args: ["mcp", ...args], env, stderr: "pipe" }));
  return client;
}

async function main() {
  const c = await connect();
  const { tools } = await c.listTools();
  check("the tools are listed over stdio", tools.length >= 10 && tools.every((t) => t.outputSchema), tools.map((t) => t.name));
  const accounts = await c.callTool({ name: "list_accounts", arguments: {} });
  check("list_accounts through the REST API", accounts.structuredContent?.accounts?.[0]?.phone === number, accounts);
  const convs = await c.callTool({ name: "list_conversations", arguments: { limit: 50 } });
  check("list_conversations", (convs.structuredContent?.conversations ?? []).length >= 2, convs);
  const conv = await c.callTool({ name: "fetch_conversation", arguments: { contact_phone: contact } });
  check("fetch_conversation", conv.structuredContent?.service_window === "open", conv);
  const sent = await c.callTool({
    name: "send_message",
    arguments: { contact_phone: contact, content: { type: "text", text: "desde stdio" } },
  });
  check("send_message", sent.structuredContent?.status === "sent", sent);
  const replies = await c.callTool({ name: "list_quick_replies", arguments: {} });
  check("list_quick_replies through the data API", Array.isArray(replies.structuredContent?.quick_replies), replies);
  const bad = await c.callTool({ name: "fetch_template", arguments: { template_id: "nope" } });
  check("the server's error sentence is an isError result", bad.isError && said(bad).includes("not found"), bad);
  await c.close();

  const limited = await connect(["--allowed-contacts", "+1 555 000 0000"]);
  const none = await limited.callTool({ name: "list_conversations", arguments: {} });
  check("--allowed-contacts filters", (none.structuredContent?.conversations ?? [1]).length === 0, none);
  const refused = await limited.callTool({ name: "fetch_conversation", arguments: { contact_phone: contact } });
  check("and refuses other contacts", refused.isError && said(refused).includes("not allowed"), refused);
  await limited.close();
}

main()
  .catch((e) => check("no exception", false, String(e?.stack ?? e)))
  .finally(() => console.log(JSON.stringify({ steps })));
