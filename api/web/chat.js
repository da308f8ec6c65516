// chat.js — the Chat view: conversations (start, rename, delete, and what
// each answers from: everything, a workspace or chosen documents) and
// questions answered as a stream of Server-Sent Events, rendered as safe
// Markdown whose citations [n] open the passage they cite.

import * as api from "./api.js";
import { render } from "./markdown.js";
import { linkPolicy } from "./links.js";
import { openDocument, list as documentList } from "./documents.js";
import { $, h, fill, ask, showError, openDialog, highlighted, quoteSpans } from "./ui.js";
import { reflow } from "./reflow.js";

let conversations = [];
let current = null; // the open conversation, or null before the first question
let streaming = null; // AbortController of the answer being streamed
let spaces = []; // the workspaces the user sees
let scope = { workspace_id: null, document_ids: [] }; // what a new conversation answers from

/** init wires the buttons and the question form. */
export function init() {
  $("new-conversation").addEventListener("click", () => open(null));
  $("rename-conversation").addEventListener("click", rename);
  $("delete-conversation").addEventListener("click", remove);
  $("chat-scope").addEventListener("change", chooseScope);
  $("ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (streaming) streaming.abort();
    else send();
  });
  // Enter asks; Shift+Enter starts a new line.
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
}

/** start lists the user's conversations and opens the latest. */
export async function start() {
  await loadList();
  await open(conversations[0]?.id ?? null);
}

/** stop forgets everything shown (on log out). */
export function stop() {
  streaming?.abort();
  conversations = [];
  current = null;
  fill($("conversation-list"));
  fill($("messages"));
}

async function loadList() {
  try {
    conversations = await api.get("/api/v1/conversations?limit=1000");
  } catch (err) {
    showError(err, "Listing conversations failed");
  }
  fill($("conversation-list"), conversations.map((c) =>
    h("li", {},
      h("button", { type: "button", class: "conversation", "aria-current": c.id === current?.id ? "true" : null,
        onclick: () => open(c.id) }, c.title || "Untitled conversation",
      h("span", { class: "hint" }, new Date(c.updated_at).toLocaleString())))));
}

// open shows conversation id with its messages, or a new empty one (null).
async function open(id) {
  if (streaming) streaming.abort();
  let conv = null;
  if (id !== null) {
    try {
      conv = await api.get(`/api/v1/conversations/${id}`);
    } catch (err) {
      showError(err, "Opening the conversation failed");
      return;
    }
  }
  current = conv;
  if (!conv) scope = { workspace_id: null, document_ids: [] };
  showTitle();
  showScope();
  fill($("messages"), (conv?.messages || []).map((m) => (m.role === "user" ? question(m.content) : answer(m).el)));
  if (!conv) $("messages").append(h("p", { class: "empty" }, "Ask a question about your documents. Answers cite the passages they come from."));
  scrollDown(true);
  for (const li of $("conversation-list").querySelectorAll("button.conversation")) li.removeAttribute("aria-current");
  const i = conversations.findIndex((c) => c.id === id);
  if (i >= 0) $("conversation-list").querySelectorAll("button.conversation")[i].setAttribute("aria-current", "true");
  $("question").focus();
}

/** setWorkspaces offers the workspaces the user sees as what to answer from. */
export function setWorkspaces(list) {
  spaces = list;
  showScope();
}

// scopeOf is what the open conversation (or the next new one) answers from.
const scopeOf = () => (current ? { workspace_id: current.workspace_id ?? null, document_ids: current.document_ids || [] } : scope);

// showScope fills the scope selector and selects the current scope.
function showScope() {
  const sc = scopeOf();
  const n = sc.document_ids.length;
  const options = [h("option", { value: "" }, "All documents"),
    spaces.map((w) => h("option", { value: `ws:${w.id}` }, `Workspace ${w.name}`)),
    h("option", { value: "docs" }, n ? `${n} chosen document${n === 1 ? "" : "s"}` : "Chosen documents…")];
  if (sc.workspace_id && !spaces.some((w) => w.id === sc.workspace_id)) {
    options.push(h("option", { value: `ws:${sc.workspace_id}` }, "A workspace no longer shared with you"));
  }
  fill($("chat-scope"), ...options);
  $("chat-scope").value = n ? "docs" : sc.workspace_id ? `ws:${sc.workspace_id}` : "";
}

// chooseScope applies the selector's choice: to the open conversation
// (which remembers it) or to the next one.
async function chooseScope() {
  const v = $("chat-scope").value;
  let next = { workspace_id: null, document_ids: [] };
  if (v.startsWith("ws:")) next.workspace_id = Number(v.slice(3));
  if (v === "docs") {
    const ids = await chooseDocuments(scopeOf().document_ids);
    if (!ids) return showScope();
    next.document_ids = ids;
  }
  if (!current) {
    scope = next;
    return showScope();
  }
  try {
    Object.assign(current, await api.put(`/api/v1/conversations/${current.id}`, next));
  } catch (err) {
    showError(err, "The conversation's documents were not changed");
  }
  showScope();
}

// chooseDocuments asks which documents to answer from; null if cancelled.
async function chooseDocuments(chosen) {
  fill($("scope-documents"), documentList().filter((d) => d.status === "ready").map((d) =>
    h("li", {}, h("label", {}, h("input", { type: "checkbox", value: String(d.id), checked: chosen.includes(d.id) }), " ", d.filename))));
  if (!$("scope-documents").children.length) $("scope-documents").append(h("li", { class: "hint" }, "No documents are ready yet."));
  if ((await openDialog($("scope-dialog"))) !== "ok") return null;
  const ids = [...$("scope-documents").querySelectorAll("input:checked")].map((i) => Number(i.value));
  return ids.length ? ids : null;
}

function showTitle() {
  $("conversation-title").textContent = current ? current.title || "Untitled conversation" : "New conversation";
  $("rename-conversation").disabled = $("delete-conversation").disabled = !current;
}

async function rename() {
  if (!current) return;
  const title = await ask({ title: "Rename conversation", ok: "Rename", input: { label: "Title", value: current.title } });
  if (!title) return;
  try {
    Object.assign(current, await api.put(`/api/v1/conversations/${current.id}`, { title }));
    showTitle();
    await loadList();
  } catch (err) {
    showError(err, "Renaming failed");
  }
}

async function remove() {
  if (!current) return;
  const ok = await ask({ title: "Delete conversation?", text: `“${current.title || "Untitled conversation"}” and all its messages will be deleted.`,
    ok: "Delete", danger: true });
  if (!ok) return;
  try {
    await api.del(`/api/v1/conversations/${current.id}`);
  } catch (err) {
    showError(err, "Deleting failed");
  }
  current = null;
  await start();
}

// send asks the typed question in the open conversation (starting one if
// needed) and streams the answer into the thread.
async function send() {
  const text = $("question").value.trim();
  if (!text) return;
  if (!current) {
    try {
      current = await api.post("/api/v1/conversations", scope);
      current.messages = [];
    } catch (err) {
      showError(err, "Starting a conversation failed");
      return;
    }
    fill($("messages"));
    showTitle();
  }
  $("question").value = "";
  $("messages").append(question(text));
  const reply = answer({ role: "assistant", content: "", sources: [] }, true);
  $("messages").append(reply.el);
  scrollDown(true);
  const conv = current;
  streaming = new AbortController();
  setBusy(true);
  let content = "";
  try {
    await api.stream(`/api/v1/conversations/${conv.id}/messages`, { content: text, stream: true }, {
      sources: (e) => reply.update({ sources: e.sources }),
      delta: (e) => reply.update({ content: (content += e.content) }),
      done: (e) => reply.update(e.assistant_message, true),
      error: (e) => reply.fail(e.detail),
    }, { signal: streaming.signal });
  } catch (err) {
    if (err.name === "AbortError") reply.fail("Stopped.");
    else reply.fail(err.message);
  } finally {
    streaming = null;
    setBusy(false);
    reply.settle();
  }
  if (current === conv) await loadList();
  if (current === conv) {
    current.title = conversations.find((c) => c.id === conv.id)?.title || current.title;
    showTitle();
  }
}

function setBusy(busy) {
  const button = $("ask-form").querySelector("button[type=submit]");
  button.textContent = busy ? "Stop" : "Ask";
  button.classList.toggle("danger", busy);
  button.classList.toggle("primary", !busy);
}

function question(text) {
  return h("article", { class: "message user", "aria-label": "Your question" }, h("p", {}, text));
}

/**
 * answer renders an assistant message; update() redraws it as the stream
 * brings sources, text and finally the stored message.
 */
function answer(msg, live = false) {
  const m = { ...msg };
  const body = h("div", { class: "body" });
  const meta = h("p", { class: "meta" });
  const sources = h("details", { class: "sources" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const el = h("article", { class: "message assistant", "aria-label": "Answer", "aria-busy": live ? "true" : null }, body, error, meta, sources);
  let frame = 0;
  const draw = () => {
    frame = 0;
    const n = (m.sources || []).length;
    fill(body, m.content ? render(m.content, { sources: n, onCite: (i, quote) => openSource(m.sources[i - 1], i, quote),
      link: linkPolicy((m.sources || []).map((x) => x.text)) })
      : live ? h("p", { class: "hint thinking" }, "Searching the documents…") : "");
    const parts = [];
    if (m.mode) {
      parts.push(h("span", { class: "mode", title: m.mode === "llm" ? "Written by a language model from the passages"
        : "Sentences quoted from the passages; no language model" }, m.mode === "llm" && m.model ? `llm · ${m.model}` : m.mode));
    }
    if (m.partial) parts.push(h("span", { class: "hint" }, "interrupted"));
    fill(meta, parts);
    meta.hidden = parts.length === 0;
    sources.hidden = n === 0;
    fill(sources, h("summary", {}, n === 1 ? "1 source" : `${n} sources`),
      h("ol", {}, (m.sources || []).map((s, i) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => openSource(s, i + 1, "") }, place(s)),
        h("span", { class: "hint" }, ` · passage ${s.chunk_index + 1}`)))));
    if (live) scrollDown(false);
  };
  draw();
  return {
    el,
    update(changes, final = false) {
      Object.assign(m, changes);
      if (final) {
        cancelAnimationFrame(frame);
        draw();
      } else if (!frame) frame = requestAnimationFrame(draw);
    },
    fail(detail) {
      error.textContent = detail;
      error.hidden = false;
    },
    settle() {
      cancelAnimationFrame(frame);
      live = false;
      draw();
      el.removeAttribute("aria-busy");
    },
  };
}

// place names where a source comes from: "Camping Guide — guide.pdf, pages 3–4".
function place(s) {
  const name = s.title && s.title !== s.filename ? `${s.title} — ${s.filename}` : s.filename;
  if (s.end_page && s.end_page > s.page) return `${name}, pages ${s.page}–${s.end_page}`;
  return s.page ? `${name}, page ${s.page}` : name;
}

/** openSource shows cited passage n, with the part the answer quotes marked. */
export function openSource(s, n, quote) {
  $("source-title").textContent = `[${n}] ${place(s)}`;
  const facts = [`passage ${s.chunk_index + 1}`, typeof s.score === "number" ? `score ${s.score.toFixed(3)}` : ""];
  $("source-meta").textContent = facts.filter(Boolean).join(" · ");
  const text = reflow(s.text);
  fill($("source-text"), quote ? highlighted(text, quoteSpans(text, quote)) : text);
  const more = $("source-open-document");
  more.onclick = () => {
    $("source-dialog").close();
    openDocument(s.document_id, s.chunk_index, quote);
  };
  const shown = openDialog($("source-dialog"));
  $("source-dialog").querySelector("mark")?.scrollIntoView({ block: "center" });
  return shown;
}

// scrollDown keeps the newest message in view; while streaming only if the
// reader has not scrolled up.
function scrollDown(force) {
  const box = $("messages");
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 80) box.scrollTop = box.scrollHeight;
}
