// supabase-js, unmodified, against wakit's /auth/v1: sign-up, sign-in (wrong and
// right password), getUser, refreshSession (rotation, then the spent token refused),
// updateUser (password) and signOut. Usage: node check_auth.mjs URL ANON_KEY EMAIL.
// Prints one JSON object: {"steps": [{"step", "ok", "detail"}...]}.
import { check, client as connect, describe, run } from "./client.mjs";

const [url, anonKey, email] = process.argv.slice(2);
const password = "first password 1";
const newPassword = "second password 2";
const client = () => connect(url, anonKey);

async function main() {
  const supabase = client();
  const up = await supabase.auth.signUp({ email, password, options: { data: { name: "Ana" } } });
  check("signUp answers a session", up.data.session && up.data.user?.email === email, describe(up.error));
  check("signUp keeps user_metadata", up.data.user?.user_metadata?.name === "Ana", up.data.user?.user_metadata);

  const me = await supabase.auth.getUser();
  check("getUser reads the signed-in user", me.data.user?.id === up.data.user?.id, describe(me.error));

  const dup = await client().auth.signUp({ email, password });
  check("signUp twice is user_already_exists", dup.error?.code === "user_already_exists", describe(dup.error));

  const out = await supabase.auth.signOut();
  check("signOut", !out.error, describe(out.error));
  const gone = await supabase.auth.getUser();
  check("getUser after signOut has no user", !gone.data.user, describe(gone.error));

  const wrong = await supabase.auth.signInWithPassword({ email, password: "not it at all" });
  check(
    "wrong password is invalid_credentials (400)",
    wrong.error?.code === "invalid_credentials" && wrong.error?.status === 400 && !wrong.data.session,
    describe(wrong.error),
  );

  const signedIn = await supabase.auth.signInWithPassword({ email, password });
  check("signInWithPassword", signedIn.data.session?.access_token, describe(signedIn.error));
  const first = signedIn.data.session?.refresh_token;

  const refreshed = await supabase.auth.refreshSession();
  const second = refreshed.data.session?.refresh_token;
  check("refreshSession rotates the refresh token", second && second !== first, describe(refreshed.error));

  const updated = await supabase.auth.updateUser({ password: newPassword });
  check("updateUser changes the password", updated.data.user?.email === email, describe(updated.error));

  const old = await client().auth.signInWithPassword({ email, password });
  check("the old password no longer signs in", old.error?.code === "invalid_credentials", describe(old.error));
  const fresh = await client().auth.signInWithPassword({ email, password: newPassword });
  check("the new password signs in", fresh.data.session, describe(fresh.error));

  const reuse = await client().auth.refreshSession({ refresh_token: first });
  check(
    "a spent refresh token is refused",
    reuse.error?.code === "refresh_token_already_used" && !reuse.data.session,
    describe(reuse.error),
  );
  const after = await supabase.auth.getUser();
  check("reuse ended the session it belonged to", !after.data.user, describe(after.error));
}

run(main);
