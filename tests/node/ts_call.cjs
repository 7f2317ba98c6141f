// One tool call through the real TypeScript SDK client, with its default
// options (a request gives up after 60 s): what most MCP clients build on.
// usage: node ts_call.cjs URL TOOL ARGUMENTS_JSON
// Prints one JSON line: {ok, elapsedMs, result} or {ok: false, elapsedMs, error, code}.
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

async function main() {
  const [url, tool, args] = process.argv.slice(2);
  const client = new Client({ name: "ts-sdk-e2e", version: "1.32.2" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const started = Date.now();
  let out;
  try {
    const result = await client.callTool({ name: tool, arguments: JSON.parse(args) });
    out = { ok: true, elapsedMs: Date.now() - started, result };
  } catch (e) {
    out = { ok: false, elapsedMs: Date.now() - started, error: String((e && e.message) || e), code: e && e.code };
  }
  console.log(JSON.stringify(out));
  await client.close();
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e) }));
  process.exit(1);
});
