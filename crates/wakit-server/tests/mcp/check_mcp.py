"""The official MCP Python SDK, unmodified, against wakit's /functions/v1/mcp: the tools
and their schemas, every hosted tool called, Allowed-Contacts, org B's key seeing nothing
of org A, and a missing key refused.

Usage: python check_mcp.py ROOT KEY_A KEY_B CUSTOMER OTHER ACCOUNT TEMPLATE
Prints one JSON object: {"steps": [{"step", "ok", "detail"}...]}.
"""

import asyncio
import json
import sys
import traceback

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

root, key_a, key_b, customer, other, account, template = sys.argv[1:8]
endpoint = f"{root}/functions/v1/mcp"
steps = []
HOSTED = {
    "list_conversations", "fetch_conversation", "search_contacts", "list_accounts",
    "list_templates", "fetch_template", "send_message",
}


def check(step, ok, detail=None):
    steps.append({"step": step, "ok": bool(ok), "detail": detail if detail is None else str(detail)})


def said(result):
    return result.content[0].text if result.content else ""


def phones(result):
    data = result.structured_content or {}
    return sorted(c["contact"]["phone"] for c in data.get("conversations", []))


async def with_client(key, headers, body, mode="auto"):
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {key}", **headers}) as http:
        async with Client(streamable_http_client(endpoint, http_client=http), mode=mode) as client:
            await body(client)


async def legacy(c):
    check("the 2025-11-25 revision (initialize)", c.protocol_version == "2025-11-25", c.protocol_version)
    accounts = await c.call_tool("list_accounts", {})
    check("and its tools", accounts.structured_content["accounts"][0]["phone"] == account, accounts)


async def as_a(c):
    check("the newest revision (2026-07-28, stateless, no initialize)", c.protocol_version == "2026-07-28", c.protocol_version)
    tools = (await c.list_tools()).tools
    check("the seven hosted tools are listed", HOSTED <= {t.name for t in tools}, [t.name for t in tools])
    check("every tool has an output schema", all(t.output_schema for t in tools))
    accounts = await c.call_tool("list_accounts", {})
    check("list_accounts", accounts.structured_content["accounts"][0]["phone"] == account, accounts)
    convs = await c.call_tool("list_conversations", {})
    check("list_conversations", phones(convs) == sorted([customer, other]), convs)
    conv = await c.call_tool("fetch_conversation", {"contact_phone": customer, "limit": 5})
    texts = [m["content"].get("text") for m in conv.structured_content["messages"]]
    check("fetch_conversation", "hola" in texts, conv)
    found = await c.call_tool("search_contacts", {"name": "maria"})
    check("search_contacts", len(found.structured_content["contacts"]) == 2, found)
    listed = await c.call_tool("list_templates", {})
    ids = [t["id"] for t in listed.structured_content["templates"] if t["name"] == template]
    check("list_templates", ids, listed)
    detail = await c.call_tool("fetch_template", {"template_id": ids[0] if ids else "none"})
    check("fetch_template", detail.structured_content and detail.structured_content["name"] == template, detail)
    replies = await c.call_tool("list_quick_replies", {})
    check("list_quick_replies", replies.structured_content["quick_replies"][0]["content"] == "¡Gracias por escribir!", replies)
    sent = await c.call_tool("send_message", {"contact_phone": customer, "content": {"type": "text", "text": "desde Python"}})
    check("send_message", sent.structured_content and sent.structured_content["status"] == "sent", sent)
    closed = await c.call_tool("send_message", {"contact_phone": "5215550001111", "content": {"type": "text", "text": "hola"}})
    check("a text outside the window is an isError result", closed.is_error and "window" in said(closed), said(closed))


async def only_customer(c):
    check("Allowed-Contacts lists only the allowed", phones(await c.call_tool("list_conversations", {})) == [customer])
    hidden = await c.call_tool("fetch_conversation", {"contact_phone": other})
    check("a contact outside Allowed-Contacts is refused", hidden.is_error and "not allowed" in said(hidden), said(hidden))


async def as_b(c):
    convs = await c.call_tool("list_conversations", {})
    check("org B's key sees none of A's conversations", not convs.is_error and phones(convs) == [], convs)
    conv = await c.call_tool("fetch_conversation", {"contact_phone": customer})
    check("nor A's messages", conv.is_error, said(conv))


async def main():
    await with_client(key_a, {}, as_a)
    await with_client(key_a, {}, legacy, mode="legacy")
    await with_client(key_a, {"Allowed-Contacts": customer}, only_customer)
    await with_client(key_b, {}, as_b)
    async with create_mcp_http_client() as http:
        resp = await http.post(endpoint, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        check("no key is 401", resp.status_code == 401 and resp.json()["error"] == "Missing Authorization header", resp.text)


try:
    asyncio.run(main())
except BaseException:  # noqa: BLE001 - every failure is a failed step
    check("no exception", False, traceback.format_exc())
print(json.dumps({"steps": steps}))
