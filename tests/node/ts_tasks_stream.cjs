// One tool call as an MCP task through the real TypeScript SDK client
// (protocol 2025-11-25): `client.experimental.tasks.callToolStream`, which
// creates a task when the server advertises tasks for tools/call and the
// tool's execution.taskSupport allows it, polls tasks/get and fetches
// tasks/result. Each request keeps the SDK's default 60 s timeout.
// usage: node ts_tasks_stream.cjs URL TOOL ARGUMENTS_JSON
// Prints one JSON line per streamed message, then {"type":"done"}.
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

async function main() {
  const [url, tool, args] = process.argv.slice(2);
  const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
  const client = new Client({ name: "ts-sdk-tasks-e2e", version: "1.32.2" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const listed = (await client.listTools()).tools.find((t) => t.name === tool);
  out({ type: "tool", execution: listed && listed.execution, capabilities: client.getServerCapabilities() });
  const stream = client.experimental.tasks.callToolStream({ name: tool, arguments: JSON.parse(args) });
  for await (const message of stream) {
    if (message.type === "error") {
      out({ type: "error", code: message.error.code, message: message.error.message });
    } else {
      out(message);
    }
  }
  out({ type: "done" });
  await client.close();
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ type: "crash", error: String(e) }) + "\n");
  process.exit(1);
});
