// What the supabase-js checks share: an unmodified client for URL and KEY, and the
// step report they print ({"steps": [{"step", "ok", "detail"}...]}).
import { createClient } from "@supabase/supabase-js";

// Realtime is not used by the checks; Node 20 has no WebSocket of its own, so the client
// gets a transport that refuses to connect (the documented `realtime.transport` option).
class NoWebSocket {
  constructor() {
    throw new Error("realtime is not part of this check");
  }
}

export const client = (url, key) =>
  createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: NoWebSocket },
  });

export const steps = [];
export const check = (step, ok, detail) => steps.push({ step, ok: Boolean(ok), detail: detail ?? null });
export const describe = (error) => (error ? { code: error.code, status: error.status, message: error.message } : null);

// Runs `main`, records an exception as a failed step, and prints the report.
export const run = (main) =>
  main()
    .catch((e) => check("no exception", false, String(e?.stack ?? e)))
    .finally(() => console.log(JSON.stringify({ steps })));
