// The issue 17 sequence with the official TypeScript SDK: an Inspector-like client without sampling or elicitation
// connects first, then a TypeScript client that declares both. Prints one JSON line with what each saw.
// Usage: node clients.mjs <Streamable HTTP endpoint of the proxy>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const url = new URL(process.argv[2]);
const samplingCall = { name: "trigger-sampling-request", arguments: { prompt: "hi", maxTokens: 10 } };

const inspector = new Client({ name: "inspector-emulation", version: "0.17.0" }, { capabilities: {} });
await inspector.connect(new StreamableHTTPClientTransport(url));

const typescript = new Client({ name: "typescript-client", version: "1.32.2" },
    { capabilities: { sampling: {}, elicitation: { form: {} } } });
typescript.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: "assistant", content: { type: "text", text: "sampled by the TypeScript client" }, model: "test-model",
}));
await typescript.connect(new StreamableHTTPClientTransport(url));

const tools = (await typescript.listTools()).tools.map((tool) => tool.name);
const sampled = await typescript.callTool(samplingCall);
let inspectorSampling;
try {
    const result = await inspector.callTool(samplingCall);
    inspectorSampling = (result.isError ? "tool error: " : "result: ") + JSON.stringify(result.content);
} catch (error) {
    inspectorSampling = "error: " + error.message;
}
console.log(JSON.stringify({ tools, sampled: JSON.stringify(sampled.content), inspectorSampling }));
await inspector.close();
await typescript.close();
