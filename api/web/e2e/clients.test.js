// clients.test.js — docent in the tools people already use, each given only
// a base URL and an API key: the openai npm package against /v1 (streaming
// and not), and the MCP TypeScript SDK's client against /mcp (streamable
// HTTP) and against `docent mcp` (stdio), all with the real binary.
//
//   npm --prefix api/web/e2e test

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { binary, serve, workdir } from "./harness.js";

const WATER = "# Water\n\nBoil water for three minutes above 2000 metres. At sea level one minute is enough.\n";
const QUESTION = "How long should water boil above 2000 metres?";

describe("real clients: openai and MCP", { timeout: 120_000 }, () => {
  let work, server, bin, key;

  // api calls docent's own API with a bearer token.
  async function api(method, path, token, body) {
    const res = await fetch(server.url + path, {
      method,
      headers: { Authorization: "Bearer " + token, ...(body && !(body instanceof FormData) ? { "Content-Type": "application/json" } : {}) },
      body: body instanceof FormData ? body : body && JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return res.json();
  }

  before(async () => {
    work = workdir();
    bin = binary(work.dir);
    server = await serve(bin, work.dir);
    await fetch(server.url + "/api/v1/auth/register", {
      method: "POST",
      body: JSON.stringify({ username: "ann", email: "ann@example.com", password: "a-long-password" }),
    });
    const tok = await (await fetch(server.url + "/api/v1/auth/token", {
      method: "POST",
      body: JSON.stringify({ username: "ann", password: "a-long-password" }),
    })).json();
    const form = new FormData();
    form.append("file", new Blob([WATER], { type: "text/markdown" }), "water.md");
    const [doc] = await api("POST", "/api/v1/documents?wait=true", tok.access_token, form);
    assert.equal(doc.status, "ready");
    key = (await api("POST", "/api/v1/keys", tok.access_token, { name: "clients", scope: "read" })).key;
  });

  after(async () => {
    await server?.stop();
    work?.remove();
  });

  it("openai: lists the models", async () => {
    const client = new OpenAI({ baseURL: server.url + "/v1", apiKey: key });
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ["docent", "docent/shared"]);
  });

  it("openai: answers with citations and sources", async () => {
    const client = new OpenAI({ baseURL: server.url + "/v1", apiKey: key });
    const c = await client.chat.completions.create({
      model: "docent",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: QUESTION }],
    });
    assert.match(c.id, /^chatcmpl-/);
    assert.equal(c.object, "chat.completion");
    assert.equal(c.choices[0].finish_reason, "stop");
    assert.match(c.choices[0].message.content, /three minutes.*\[1\]/);
    assert.equal(c.sources[0].filename, "water.md");
    assert.ok(c.usage.total_tokens > 0 && c.usage.total_tokens === c.usage.prompt_tokens + c.usage.completion_tokens);
  });

  it("openai: streams chunks, then the usage", async () => {
    const client = new OpenAI({ baseURL: server.url + "/v1", apiKey: key });
    const stream = await client.chat.completions.create({
      model: "docent",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: QUESTION }],
    });
    let text = "";
    let finish = null;
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.object, "chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta?.content || "";
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    assert.ok(chunks > 2, `only ${chunks} chunks`);
    assert.match(text, /three minutes.*\[1\]/);
    assert.equal(finish, "stop");
    assert.ok(usage && usage.completion_tokens > 0);
  });

  it("openai: errors are the client's own error classes", async () => {
    const bad = new OpenAI({ baseURL: server.url + "/v1", apiKey: "dk_not_a_key", maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: "docent", messages: [{ role: "user", content: QUESTION }] }),
      (err) => err instanceof OpenAI.AuthenticationError && err.status === 401);
    const client = new OpenAI({ baseURL: server.url + "/v1", apiKey: key, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: QUESTION }] }),
      (err) => err instanceof OpenAI.NotFoundError && err.code === "model_not_found");
    await assert.rejects(client.chat.completions.create({ model: "docent", messages: [] }),
      (err) => err instanceof OpenAI.BadRequestError && err.param === "messages");
  });

  // useTools lists the tools and calls every one.
  async function useTools(client) {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ["ask", "get_passage", "list_documents", "search"]);
    for (const t of tools) assert.ok(t.description.length > 80 && t.inputSchema.type === "object", t.name);
    const list = await client.callTool({ name: "list_documents", arguments: {} });
    const doc = list.structuredContent.documents[0];
    assert.equal(doc.filename, "water.md");
    const found = await client.callTool({ name: "search", arguments: { query: "boil water altitude", top_k: 2 } });
    assert.match(found.content[0].text, /three minutes/);
    const answer = await client.callTool({ name: "ask", arguments: { question: QUESTION } });
    assert.match(answer.structuredContent.answer, /three minutes.*\[1\]/);
    const passage = await client.callTool({ name: "get_passage", arguments: { document_id: doc.id, chunk: 0 } });
    assert.match(passage.structuredContent.text, /three minutes/);
    const missing = await client.callTool({ name: "get_passage", arguments: { document_id: 987654, chunk: 0 } });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0].text, /document not found/);
  }

  it("MCP SDK client over streamable HTTP", async () => {
    const client = new Client({ name: "docent-ci", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url + "/mcp"), {
      requestInit: { headers: { Authorization: "Bearer " + key } },
    }));
    try {
      await useTools(client);
    } finally {
      await client.close();
    }
  });

  it("MCP SDK client over stdio (docent mcp --server)", async () => {
    const client = new Client({ name: "docent-ci", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: bin, args: ["mcp", "--server", server.url, "--api-key", key], stderr: "inherit" }));
    try {
      await useTools(client);
    } finally {
      await client.close();
    }
  });

  it("MCP refuses a request without a key", async () => {
    const client = new Client({ name: "docent-ci", version: "1.0.0" });
    await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(server.url + "/mcp"))));
  });
});
