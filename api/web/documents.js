// documents.js — the Documents view: upload by drag and drop or picker
// (into the user's own documents or a workspace they may write) with
// per-file progress, indexing status polled live, the list of own and
// shared documents, deletion, and a document's chunks.

import * as api from "./api.js";
import * as usage from "./usage.js";
import { $, h, fill, ask, toast, showError, openDialog, formatSize, formatType, highlighted, termSpans, terms } from "./ui.js";

const POLL_MS = 1000;
const PARALLEL_UPLOADS = 3;

let user = null; // the signed-in user, for who may delete what
let docs = []; // as last listed, newest first
let pollTimer = 0;
let uploading = 0; // uploads in flight
const queue = []; // files waiting for an upload slot
const watched = new Map(); // document id → upload row watching it

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const pending = (d) => d.status === "queued" || d.status === "processing";

/** init wires the drop zone and the file picker. */
export function init() {
  const zone = $("dropzone");
  const input = $("file-input");
  input.addEventListener("change", () => {
    add([...input.files]);
    input.value = "";
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
  }
  for (const type of ["dragleave", "drop"]) zone.addEventListener(type, () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    add([...(e.dataTransfer?.files || [])]);
  });
  // A file dropped outside the zone must not navigate away from the page.
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => e.preventDefault());
}

/** start shows the documents of user and keeps their status current. */
export function start(u) {
  user = u;
  fill($("uploads"));
  watched.clear();
  refresh();
}

/** stop ends polling (on log out) and forgets what was shown. */
export function stop() {
  clearTimeout(pollTimer);
  pollTimer = 0;
  user = null;
  docs = [];
  queue.length = 0;
  fill($("document-rows"));
  fill($("uploads"));
  fill($("watches"));
}

/** setWorkspaces offers the workspaces the user may write as upload targets. */
export function setWorkspaces(spaces) {
  const select = $("upload-workspace");
  const chosen = select.value;
  fill(select, h("option", { value: "" }, "your documents"),
    spaces.filter((w) => w.access === "write").map((w) => h("option", { value: String(w.id) }, `workspace ${w.name}`)));
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
  select.closest("p").hidden = select.options.length < 2;
}

/** list is the documents as last fetched. */
export const list = () => docs;

/** refresh fetches the list, redraws it and polls again while any is being indexed. */
export async function refresh() {
  if (!user) return;
  try {
    docs = await api.get("/api/v1/documents?limit=1000");
  } catch (err) {
    showError(err, "Listing documents failed");
  }
  let folders = [];
  try {
    folders = await api.get("/api/v1/watches");
  } catch {
    // an older server, or a passing error: the list of documents matters more
  }
  if (!user) return;
  draw();
  drawWatches(folders);
  usage.show();
  for (const [id, row] of watched) {
    const d = docs.find((x) => x.id === id);
    if (d) row.show(d);
  }
  // One timer at most, however many refreshes overlapped.
  clearTimeout(pollTimer);
  const syncing = folders.some((w) => w.pending > 0 || w.syncing);
  if (docs.some(pending) || uploading || queue.length || syncing) pollTimer = setTimeout(refresh, POLL_MS);
}

// drawWatches shows each watched folder feeding these documents and its progress.
function drawWatches(folders) {
  $("watches").hidden = folders.length === 0;
  fill($("watches"), folders.map((w) => {
    const state = w.error ? w.error
      : w.pending > 0 ? `${plural(w.pending, "change")} to index`
      : w.passes > 0 ? "in sync" : "first scan…";
    const failed = w.failed > 0 ? `, ${plural(w.failed, "file")} failed` : "";
    const when = w.last_sync ? ` (checked ${new Date(w.last_sync).toLocaleTimeString()})` : "";
    return h("li", {}, `Watching ${w.folder}: ${plural(w.files, "file")}, ${state}${failed}${when}`);
  }));
}

// draw renders the table of documents.
function draw() {
  $("documents-empty").hidden = docs.length > 0;
  fill($("document-rows"), docs.map(row));
}

function row(d) {
  const mayDelete = !d.shared || user?.role === "admin";
  return h("tr", { dataset: { id: String(d.id) } },
    h("td", { "data-label": "Name" },
      h("button", { type: "button", class: "link name", onclick: () => openDocument(d.id) }, d.filename),
      d.shared ? h("span", { class: "badge" }, "shared") : null),
    h("td", { "data-label": "Type" }, formatType(d.content_type)),
    h("td", { "data-label": "Size" }, formatSize(d.size)),
    h("td", { "data-label": "Pages" }, d.pages ? String(d.pages) : "–"),
    h("td", { "data-label": "Chunks" }, String(d.chunks)),
    h("td", { "data-label": "Status" }, status(d)),
    h("td", { class: "actions" },
      mayDelete ? h("button", { type: "button", class: "danger", "aria-label": `Delete ${d.filename}`, onclick: () => remove(d) }, "Delete") : null),
  );
}

/** status renders a document's indexing status, with progress while processing. */
function status(d) {
  const badge = h("span", { class: "status " + d.status }, d.status);
  if (d.status === "processing" && typeof d.progress === "number") {
    const pct = Math.round(d.progress * 100);
    return [badge, " ", h("progress", { max: "100", value: String(pct), "aria-label": `Indexing ${d.filename}` }), ` ${pct}%`];
  }
  if (d.status === "failed" && d.error) return [badge, h("span", { class: "reason" }, d.error)];
  return badge;
}

// add queues files for upload, each with its own progress row.
function add(files) {
  for (const file of files) {
    const r = uploadRow(file);
    $("uploads").prepend(r.el);
    queue.push({ file, r });
  }
  pump();
}

// pump starts queued uploads while there are free slots.
function pump() {
  while (uploading < PARALLEL_UPLOADS && queue.length) {
    const { file, r } = queue.shift();
    uploading++;
    api
      .upload(file, (p) => r.progress(p), $("upload-workspace").value)
      .then((d) => {
        if (d.duplicate) r.note("already uploaded");
        watched.set(d.id, r);
        r.show(d);
      })
      .catch((err) => r.fail(err.message))
      .finally(() => {
        uploading--;
        pump();
        refresh();
      });
  }
}

// uploadRow is the line showing one file's upload, then its indexing.
function uploadRow(file) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Uploading ${file.name}` });
  const state = h("span", { class: "state" }, "waiting");
  const note = h("span", { class: "hint" });
  const dismiss = h("button", { type: "button", class: "close", "aria-label": `Dismiss ${file.name}`, hidden: true,
    onclick: () => el.remove() }, "×");
  const el = h("li", { class: "upload" }, h("span", { class: "name" }, file.name), h("span", { class: "hint" }, formatSize(file.size)),
    bar, state, note, dismiss);
  const settle = () => {
    dismiss.hidden = false;
  };
  return {
    el,
    progress(p) {
      bar.value = Math.round(p * 100);
      state.textContent = p < 1 ? `uploading ${Math.round(p * 100)}%` : "uploaded";
    },
    show(d) {
      el.dataset.status = d.status;
      if (d.status === "processing" && typeof d.progress === "number") {
        bar.value = Math.round(d.progress * 100);
        bar.setAttribute("aria-label", `Indexing ${file.name}`);
      }
      const text = { queued: "queued", processing: "processing", ready: `ready · ${plural(d.chunks, "chunk")}`, failed: "failed" }[d.status] || d.status;
      state.textContent = text;
      state.className = "state status " + d.status;
      if (d.status === "failed") {
        note.textContent = d.error || "";
        note.className = "reason";
      }
      if (d.status === "ready" || d.status === "failed") {
        bar.hidden = true;
        watched.delete(d.id);
        settle();
      }
    },
    note(text) {
      note.textContent = text;
    },
    fail(message) {
      bar.hidden = true;
      el.dataset.status = "failed";
      state.textContent = "refused";
      state.className = "state status failed";
      note.textContent = message;
      note.className = "reason";
      settle();
    },
  };
}

// remove deletes a document after confirmation.
async function remove(d) {
  const ok = await ask({ title: "Delete document?", text: `“${d.filename}” and its passages will be removed; answers will no longer cite it.`,
    ok: "Delete", danger: true });
  if (!ok) return;
  try {
    await api.del(`/api/v1/documents/${d.id}`);
    toast(`Deleted ${d.filename}`);
  } catch (err) {
    showError(err, `Deleting ${d.filename} failed`);
  }
  refresh();
}

/**
 * openDocument shows a document's chunks; with chunkIndex it scrolls to
 * that chunk and marks the words of quote in it.
 */
export async function openDocument(id, chunkIndex = -1, quote = "") {
  let d, chunks;
  try {
    [d, chunks] = await Promise.all([api.get(`/api/v1/documents/${id}`), api.get(`/api/v1/documents/${id}/chunks?limit=1000`)]);
  } catch (err) {
    showError(err, "Opening the document failed");
    return;
  }
  $("chunks-title").textContent = d.filename;
  const facts = [formatType(d.content_type), formatSize(d.size), d.pages ? plural(d.pages, "page") : "", plural(d.chunks, "chunk"), d.status];
  $("chunks-meta").textContent = facts.filter(Boolean).join(" · ") + (d.error ? ` — ${d.error}` : "");
  const words = terms(quote);
  fill($("chunks-list"), chunks.map((c) => {
    const current = c.index === chunkIndex;
    const where = [`Passage ${c.index + 1}`, c.page ? `page ${c.page}` : "", (c.headings || []).join(" › ")].filter(Boolean).join(" · ");
    return h("li", { class: current ? "current" : null, id: `chunk-${c.index}` },
      h("p", { class: "hint" }, where),
      h("p", { class: "chunk-text" }, current ? highlighted(c.text, termSpans(c.text, words)) : c.text));
  }));
  if (!chunks.length) $("chunks-list").append(h("li", { class: "hint" }, "No passages: the document is not indexed."));
  const shown = openDialog($("chunks-dialog"));
  document.getElementById(`chunk-${chunkIndex}`)?.scrollIntoView({ block: "center" });
  return shown;
}
