// supabase-js, unmodified, against wakit's /rest/v1 as a signed-in member: the
// organization's rows with embeds, a write, a send through messages, a count, another org's rows unseen, a new
// organization owned by its creator, the anon key seeing nothing, and PostgREST's errors.
// Usage: node check_rest.mjs URL ANON_KEY EMAIL (EMAIL was invited as an admin of one
// organization before the run). Prints one JSON object: {"steps": [{"step", "ok", "detail"}...]}.
import { check, client as connect, describe, run } from "./client.mjs";

const [url, anonKey, email] = process.argv.slice(2);
const client = () => connect(url, anonKey);

async function main() {
  const db = client();
  const up = await db.auth.signUp({ email, password: "a long enough password" });
  check("signUp joins the invitation", up.data.session, describe(up.error));

  const convs = await db
    .from("conversations")
    .select("*, messages(*), contact_address:contacts_addresses(*)")
    .order("created_at", { ascending: false });
  check(
    "conversations with messages and the contact address",
    convs.data?.length === 1 && convs.data[0].messages.length === 1 &&
      convs.data[0].contact_address?.profile_name === "Maria",
    convs.error ? describe(convs.error) : convs.data,
  );
  const org = convs.data?.[0]?.organization_id;

  const orgs = await db.from("organizations").select("id, name");
  check("only the member's organization", orgs.data?.length === 1 && orgs.data[0].id === org, orgs.data ?? describe(orgs.error));

  const authorized = await db.rpc("get_authorized_orgs", { role: "admin" });
  check(
    "rpc get_authorized_orgs names the organization",
    JSON.stringify(authorized.data) === JSON.stringify([org]),
    authorized.data ?? describe(authorized.error),
  );

  const created = await db
    .from("quick_replies")
    .insert({ organization_id: org, name: "hi", content: "Hello!" })
    .select()
    .single();
  check("an admin inserts a quick reply (.select().single())", created.data?.content === "Hello!", describe(created.error));

  const sent = await db
    .from("messages")
    .insert({
      organization_id: org,
      conversation_id: convs.data?.[0]?.id,
      direction: "outgoing",
      content: { type: "text", text: { body: "¡Hola Maria!" } },
    })
    .select()
    .single();
  check(
    "inserting an outgoing message sends it",
    sent.data?.direction === "outgoing" && sent.data?.content?.text === "¡Hola Maria!" &&
      sent.data?.conversation_id === convs.data?.[0]?.id,
    sent.data ?? describe(sent.error),
  );
  const closed = await db
    .from("messages")
    .insert({ organization_id: org, contact_address: "5215500009999", content: { type: "text", text: "hi" } });
  check(
    "a text to someone who never wrote is refused with the send path's sentence",
    closed.error?.code === "P0001" && /Service window is closed/.test(closed.error?.message),
    describe(closed.error),
  );

  const counted = await db.from("quick_replies").select("*", { count: "exact", head: true });
  check("count=exact with head", counted.count === 1 && !counted.error, { count: counted.count, error: describe(counted.error) });

  const none = await db.from("webhooks").select().maybeSingle();
  check("maybeSingle on nothing is null", none.data === null && !none.error, describe(none.error));

  const bad = await db.from("contacts").select().eq("id", "not-a-uuid");
  check("a bad uuid is 22P02", bad.error?.code === "22P02", describe(bad.error));

  const missing = await db.from("no_such_table").select();
  check("an unknown table is PGRST205", missing.error?.code === "PGRST205", describe(missing.error));

  const made = await db.from("organizations").insert({ name: "Ana's new shop" }).select().single();
  check("a signed-in user creates an organization", made.data?.name === "Ana's new shop", describe(made.error));
  const owners = await db.from("agents").select("organization_id, user_id, extra").eq("organization_id", made.data?.id);
  check(
    "the creator is its owner",
    owners.data?.length === 1 && owners.data[0].extra?.role === "owner" && owners.data[0].user_id === up.data.user?.id,
    owners.data ?? describe(owners.error),
  );
  const mine = await db.from("organizations").select("id");
  check("the user now sees both organizations", mine.data?.length === 2, mine.data ?? describe(mine.error));

  const anon = await client().from("conversations").select();
  check("the anon key sees no conversation", Array.isArray(anon.data) && anon.data.length === 0, anon.data ?? describe(anon.error));

  await db.auth.signOut();
  const after = await db.from("conversations").select();
  check("signed out, the anon key again sees nothing", after.data?.length === 0, after.data ?? describe(after.error));
}

run(main);
