// docs.js — the API reference page: docent's own /openapi.json rendered
// in the browser, grouped by resource, with each operation's parameters,
// body and answers, and every schema. Nothing is fetched from elsewhere, so
// the page works offline.

import { $, h, fill } from "./ui.js";

const METHOD_ORDER = ["get", "post", "put", "patch", "delete"];
const GROUP_ORDER = ["auth", "users", "conversations", "documents", "search", "ask", "ws", "admin", "service"];
const GROUP_TITLES = {
  auth: "Accounts and tokens",
  users: "Users",
  conversations: "Conversations and messages",
  documents: "Documents",
  search: "Search",
  ask: "One-shot questions",
  ws: "WebSocket",
  admin: "Administration",
  service: "Service",
};

// components are the document's named schemas, for expanding references.
let components = {};

load();

async function load() {
  let spec;
  try {
    const res = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(`/openapi.json answered ${res.status}`);
    spec = await res.json();
  } catch (err) {
    $("docs-status").textContent = `The API description could not be loaded: ${err.message}`;
    return;
  }
  render(spec);
  $("filter").addEventListener("input", () => filter($("filter").value));
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}

/** render draws the whole reference from the OpenAPI document. */
function render(spec) {
  const info = spec.info || {};
  document.title = `${info.title || "docent"} API reference`;
  fill(
    $("intro"),
    h("h1", { id: "api-title" }, `${info.title || "docent"} API`, info.version ? h("span", { class: "version" }, info.version) : null),
    h("p", {}, info.description || ""),
    h("p", {},
      "Requests and answers are JSON; errors are ", h("code", {}, "application/problem+json"), " with a ",
      h("code", {}, "detail"), ". Endpoints marked ", h("span", { class: "badge user" }, "token"), " need ",
      h("code", {}, "Authorization: Bearer TOKEN"), ", where the token comes from ",
      h("a", { href: "#post_auth_token" }, h("code", {}, "POST /api/v1/auth/token")), "; ",
      h("span", { class: "badge admin" }, "admin"), " ones need an admin's token. Lists take ",
      h("code", {}, "skip"), " and ", h("code", {}, "limit"), " (default 100, at most 1000)."),
  );

  components = (spec.components && spec.components.schemas) || {};
  const groups = new Map(GROUP_ORDER.map((g) => [g, []]));
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const g = groupOf(path);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push({ path, method, op });
    }
  }
  const toc = [];
  const sections = [];
  for (const [g, ops] of groups) {
    if (!ops.length) continue;
    ops.sort((a, b) => a.path.localeCompare(b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method));
    const title = GROUP_TITLES[g] || g;
    toc.push(h("li", { dataset: { group: g } },
      h("a", { href: "#group-" + g, class: "group" }, title),
      h("ol", {}, ops.map((o) => h("li", { dataset: { op: anchor(o) } },
        h("a", { href: "#" + anchor(o) }, h("span", { class: "method " + o.method }, o.method.toUpperCase()), h("span", {}, breakable(o.path))))))));
    sections.push(h("section", { id: "group-" + g, class: "group", dataset: { group: g } },
      h("h2", {}, title), ops.map((o) => operation(o, spec))));
  }
  fill($("toc-list"), toc);
  fill($("operations"), sections);

  const schemas = components;
  fill($("schema-list"), Object.keys(schemas).sort().map((name) =>
    h("section", { class: "schema", id: "schema-" + name },
      h("h3", {}, h("code", {}, name)), schemaView(schemas[name]))));
  $("schemas").hidden = false;
}

/** groupOf names the resource a path belongs to. */
function groupOf(path) {
  const m = path.match(/^\/api\/v1\/([^/]+)/);
  return m ? m[1] : "service";
}

/** anchor is an operation's fragment id. */
function anchor({ op, method, path }) {
  return op.operationId || `${method}_${path}`;
}

/** operation draws one endpoint. */
function operation(o, spec) {
  const { op, method, path } = o;
  const access = op["x-docent-access"] || (op.security ? "user" : "public");
  const parts = [
    h("h3", {},
      h("span", { class: "method " + method }, method.toUpperCase()), " ",
      h("code", { class: "path" }, breakable(path)),
      access !== "public" ? h("span", { class: "badge " + access }, access === "admin" ? "admin" : "token") : null),
    h("p", {}, op.summary || ""),
  ];
  if (op.parameters?.length) {
    parts.push(h("h4", {}, "Parameters"), scroller(h("table", { class: "params" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "name"), h("th", { scope: "col" }, "in"), h("th", { scope: "col" }, "schema"))),
      h("tbody", {}, op.parameters.map((p) => h("tr", {},
        h("td", {}, h("code", {}, p.name), p.required ? h("span", { class: "required", title: "required" }, " *") : null),
        h("td", {}, p.in),
        h("td", {}, schemaView(p.schema || {}))))))));
  }
  if (op.requestBody) {
    parts.push(h("h4", {}, "Body"), contentView(op.requestBody.content));
  }
  const responses = Object.entries(op.responses || {}).sort(([a], [b]) => a.localeCompare(b));
  parts.push(h("h4", {}, "Answers"), h("dl", { class: "responses" }, responses.flatMap(([status, r]) => [
    h("dt", {}, h("span", { class: "status s" + status[0] }, status), " ", r.description || ""),
    h("dd", {}, r.content ? contentView(r.content) : h("span", { class: "hint" }, "no body")),
  ])));
  return h("article", { class: "op", id: anchor(o), dataset: { text: `${method} ${path} ${op.summary || ""}`.toLowerCase() } }, parts);
}

/**
 * contentView lists a body's media types with their schemas, the named
 * schema (or the items of a named list) spelled out one level deep.
 */
function contentView(content = {}) {
  return h("ul", { class: "content" }, Object.entries(content).map(([type, c]) => {
    const s = c.schema || {};
    const named = s.$ref ? components[s.$ref.split("/").pop()] : null;
    let detail = null;
    if (named && s.$ref !== "#/components/schemas/Problem" && (named.properties || named.items)) {
      detail = named.items?.$ref ? h("span", {}, " (array of ", schemaView(named.items), ")", schemaView(components[named.items.$ref.split("/").pop()] || {}))
        : schemaView(named);
    }
    return h("li", {}, h("code", { class: "media" }, type), " ", schemaView(s), detail);
  }));
}

/** breakable is a path with places to wrap after each slash, for narrow screens. */
function breakable(path) {
  return path.split("/").flatMap((part, i) => (i === 0 ? [part] : ["/", h("wbr"), part]));
}

/**
 * schemaView draws a schema: a link for a $ref, the fields of an object,
 * the items of an array, and a type with its constraints otherwise.
 */
function schemaView(s) {
  if (s.$ref) {
    const name = s.$ref.split("/").pop();
    return h("a", { href: "#schema-" + name, class: "ref" }, name);
  }
  if (s.type === "array") return h("span", {}, "array of ", schemaView(s.items || {}));
  if (s.type === "object" || s.properties) {
    const required = new Set(s.required || []);
    const props = Object.entries(s.properties || {});
    if (!props.length) return h("span", { class: "type" }, "object", s.description ? h("span", { class: "hint" }, " — " + s.description) : null);
    return h("ul", { class: "fields" }, props.map(([name, p]) => h("li", {},
      h("code", {}, name), required.has(name) ? h("span", { class: "required", title: "required" }, " *") : null, " ",
      schemaView(p))));
  }
  return h("span", { class: "type" }, typeText(s), s.description ? h("span", { class: "hint" }, " — " + s.description) : null);
}

/** typeText is a scalar schema in words: "string (email)", "integer, 1–100, default 5". */
function typeText(s) {
  let t = s.type || "any";
  if (s.format) t += ` (${s.format})`;
  const notes = [];
  if (s.enum) notes.push("one of " + s.enum.map((v) => JSON.stringify(v)).join(", "));
  if (s.minimum !== undefined || s.maximum !== undefined) notes.push(`${s.minimum ?? "…"}–${s.maximum ?? "…"}`);
  if (s.minLength !== undefined) notes.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) notes.push(`at most ${s.maxLength}`);
  if (s.pattern) notes.push(`matching ${s.pattern}`);
  if (s.default !== undefined) notes.push(`default ${JSON.stringify(s.default)}`);
  return notes.length ? `${t}, ${notes.join(", ")}` : t;
}

/** scroller lets a wide table scroll inside itself, never the page. */
function scroller(table) {
  return h("div", { class: "scroller" }, table);
}

/** filter shows the endpoints whose method, path or summary hold every word of q. */
function filter(q) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  for (const group of document.querySelectorAll("section.group")) {
    let shown = 0;
    for (const op of group.querySelectorAll("article.op")) {
      const on = words.every((w) => op.dataset.text.includes(w));
      op.hidden = !on;
      document.querySelector(`#toc-list li[data-op="${CSS.escape(op.id)}"]`).hidden = !on;
      if (on) shown++;
    }
    group.hidden = shown === 0;
    document.querySelector(`#toc-list li[data-group="${CSS.escape(group.dataset.group)}"]`).hidden = shown === 0;
  }
  $("schemas").hidden = words.length > 0;
}
