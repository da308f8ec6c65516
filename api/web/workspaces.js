// workspaces.js — the Workspaces view: the workspaces the user sees (the
// shared library's, "shared", among them), new ones, and for each its
// documents and, for its owner, its name, who sees it and its members.
// Other views read the list (documents.js uploads into one, chat.js
// limits a conversation to one).

import * as api from "./api.js";
import * as documents from "./documents.js";
import { $, h, fill, ask, toast, showError, openDialog } from "./ui.js";

let spaces = []; // as last listed
let open = null; // the workspace shown in the dialog
const listeners = [];

const VISIBILITY = { private: "only you", members: "you and its members", everyone: "everyone" };

/** list is the workspaces as last fetched. */
export const list = () => spaces;

/** writable lists the workspaces the user may upload into. */
export const writable = () => spaces.filter((w) => w.access === "write");

/** onChange calls fn after every refresh of the list. */
export function onChange(fn) {
  listeners.push(fn);
}

/** nameOf names workspace id, or "" when unknown. */
export const nameOf = (id) => spaces.find((w) => w.id === id)?.name || "";

/** init wires the create form and the dialog's forms. */
export function init() {
  $("workspace-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const error = form.querySelector(".form-error");
    error.textContent = "";
    try {
      const w = await api.post("/api/v1/workspaces", { name: $("workspace-name").value.trim(), visibility: $("workspace-visibility").value });
      form.reset();
      await refresh();
      toast(`Workspace ${w.name} created.`);
    } catch (err) {
      error.textContent = err.message;
    }
  });
  $("workspace-settings").addEventListener("submit", (e) => {
    e.preventDefault();
    change(() => api.patch(`/api/v1/workspaces/${open.id}`, { name: $("ws-name").value.trim(), visibility: $("ws-visibility").value }), "Saved.");
  });
  $("member-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("member-name").value.trim();
    change(() => api.put(`/api/v1/workspaces/${open.id}/members/${encodeURIComponent(name)}`, { access: $("member-access").value }),
      `${name} added.`).then((ok) => ok && $("member-form").reset());
  });
  $("ws-add-document").addEventListener("submit", (e) => {
    e.preventDefault();
    const id = $("ws-document").value;
    if (id) change(() => api.put(`/api/v1/workspaces/${open.id}/documents/${id}`), "Document added.");
  });
  $("ws-delete").addEventListener("click", remove);
}

/** start fetches the list (after log in). */
export const start = () => refresh();

/** stop forgets the list (on log out). */
export function stop() {
  spaces = [];
  open = null;
  fill($("workspace-rows"));
}

/** refresh fetches the list and redraws whatever shows it. */
export async function refresh() {
  try {
    spaces = await api.get("/api/v1/workspaces");
  } catch (err) {
    showError(err, "Workspaces could not be listed");
    return;
  }
  fill($("workspace-rows"), spaces.map(row));
  for (const fn of listeners) fn(spaces);
  if (open) {
    open = spaces.find((w) => w.id === open.id) || null;
    if (open) drawDialog();
    else $("workspace-dialog").close();
  }
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function row(w) {
  return h("tr", {},
    h("td", { "data-label": "Name", class: "name" },
      h("button", { type: "button", class: "link name", onclick: () => show(w) }, w.name),
      w.library ? h("span", { class: "badge" }, "shared library") : null),
    h("td", { "data-label": "Seen by" }, VISIBILITY[w.visibility] || w.visibility),
    h("td", { "data-label": "Documents" }, String(w.documents.length)),
    h("td", { "data-label": "You" }, w.access === "write" ? "read and write" : "read"),
    h("td", { class: "actions" }, h("button", { type: "button", onclick: () => show(w), "aria-label": `Open ${w.name}` }, "Open")));
}

// show opens workspace w in the dialog.
function show(w) {
  open = w;
  drawDialog();
  openDialog($("workspace-dialog")).then(() => (open = null));
}

let me = null;
const isOwner = (w) => me && w.owner_id === me.id;

/** setUser remembers who is signed in (the owner manages a workspace). */
export function setUser(u) {
  me = u;
}

// drawDialog shows the open workspace: documents for all, settings and
// members for its owner.
function drawDialog() {
  const w = open;
  $("workspace-title").textContent = w.name;
  $("workspace-meta").textContent = [`seen by ${VISIBILITY[w.visibility] || w.visibility}`, plural(w.documents.length, "document"),
    w.access === "write" ? "you may add documents" : "read only"].join(" · ");
  const owner = isOwner(w) || (w.library && me?.role === "admin");
  $("workspace-settings").hidden = !owner || w.library;
  $("workspace-members").hidden = !owner;
  $("ws-delete").hidden = !owner || w.library;
  $("ws-add-document").hidden = w.access !== "write";
  $("ws-name").value = w.name;
  $("ws-visibility").value = w.visibility;
  fill($("member-rows"), (w.members || []).map((m) => h("li", {},
    h("span", { class: "name" }, m.username || `user ${m.user_id}`), ` · ${m.access} `,
    h("button", { type: "button", class: "danger", "aria-label": `Remove ${m.username}`,
      onclick: () => change(() => api.del(`/api/v1/workspaces/${w.id}/members/${m.user_id}`), `${m.username} removed.`) }, "Remove"))));
  $("members-empty").hidden = (w.members || []).length > 0;
  const docs = documents.list();
  fill($("ws-documents"), w.documents.map((id) => {
    const d = docs.find((x) => x.id === id);
    return h("li", {},
      h("button", { type: "button", class: "link", onclick: () => documents.openDocument(id) }, d ? d.filename : `document ${id}`),
      w.access === "write" && !(w.library && d?.shared) ? [" ", h("button", { type: "button", "aria-label": `Take ${d ? d.filename : id} out of ${w.name}`,
        onclick: () => change(() => api.del(`/api/v1/workspaces/${w.id}/documents/${id}`), "Document taken out.") }, "Take out")] : null);
  }));
  $("ws-documents-empty").hidden = w.documents.length > 0;
  fill($("ws-document"), h("option", { value: "" }, "Choose a document…"),
    docs.filter((d) => !w.documents.includes(d.id)).map((d) => h("option", { value: String(d.id) }, d.filename)));
}

// change runs a change of the open workspace, then refreshes.
async function change(action, done) {
  try {
    await action();
    if (done) toast(done);
    await refresh();
    return true;
  } catch (err) {
    showError(err);
    return false;
  }
}

async function remove() {
  const w = open;
  if (!(await ask({ title: `Delete ${w.name}?`, text: "The workspace goes; its documents stay with their owners.", ok: "Delete", danger: true }))) return;
  try {
    await api.del(`/api/v1/workspaces/${w.id}`);
    $("workspace-dialog").close();
    toast(`${w.name} deleted.`);
  } catch (err) {
    showError(err);
  }
  refresh();
}
