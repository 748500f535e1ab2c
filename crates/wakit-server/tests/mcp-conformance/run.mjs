// Runs the MCP conformance suite's server scenarios against wakit's /functions/v1/mcp:
//   node run.mjs <mcp url> <api key> <scenario>...
// The suite's client sends no credentials, so a local proxy adds
// `Authorization: Bearer <key>` and passes everything else (Host, Origin, body) through
// unchanged. Exits 0 only when every scenario passed.
import http from "node:http";
import { spawn } from "node:child_process";

const [target, key, ...scenarios] = process.argv.slice(2);
const upstream = new URL(target);

const proxy = http.createServer((req, res) => {
  const headers = { ...req.headers, authorization: `Bearer ${key}` };
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
    (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    },
  );
  out.on("error", (e) => {
    res.writeHead(502);
    res.end(String(e));
  });
  req.pipe(out);
});

proxy.listen(0, "127.0.0.1", async () => {
  const url = `http://127.0.0.1:${proxy.address().port}${upstream.pathname}`;
  let failed = 0;
  for (const scenario of scenarios) {
    const code = await new Promise((done) => {
      const child = spawn(
        process.execPath,
        [new URL("node_modules/@modelcontextprotocol/conformance/dist/index.js", import.meta.url).pathname,
         "server", "--url", url, "--scenario", scenario],
        { stdio: "inherit" },
      );
      child.on("exit", (c) => done(c ?? 1));
    });
    console.log(`scenario ${scenario}: exit ${code}`);
    if (code !== 0) failed += 1;
  }
  proxy.close();
  process.exit(failed === 0 ? 0 : 1);
});
