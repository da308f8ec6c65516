// users.js — the account dialog, where anyone changes their own password
// (the current one is required, and every other session ends) and manages
// their API keys (keys.js), and the
// Users view for admins: every account, those waiting for approval first,
// activated or deactivated, a forgotten password set anew; accounts added
// and invites made (accounts.js).

import * as api from "./api.js";
import * as accounts from "./accounts.js";
import * as keys from "./keys.js";
import * as usage from "./usage.js";
import { $, h, fill, ask, toast, showError, openDialog } from "./ui.js";

let me = null; // the signed-in user

/** init wires the account dialog. */
export function init() {
  $("account").addEventListener("click", () => {
    if (!me) return;
    $("account-meta").textContent = `${me.username} · ${me.email} · ${me.role}`;
    $("account-usage").textContent = "";
    api.get("/api/v1/auth/me").then((u) => ($("account-usage").textContent = usage.describe(u)), () => {});
    $("password-form").reset();
    $("password-form").querySelector(".form-error").textContent = "";
    openDialog($("account-dialog"));
    $("current-password").focus();
    keys.refresh();
  });
  $("password-form").addEventListener("submit", changePassword);
  keys.init();
  accounts.init(refresh);
}

/**
 * start remembers who is signed in and offers admins the Users view,
 * telling them when accounts wait for their approval.
 */
export async function start(u) {
  me = u;
  $("users-link").hidden = u.role !== "admin";
  if (u.role !== "admin") return;
  try {
    const waiting = (await api.get("/api/v1/users?limit=1000")).filter((x) => x.pending).length;
    if (waiting) toast(`${waiting === 1 ? "An account waits" : `${waiting} accounts wait`} for your approval: see Users.`);
  } catch {
    // the Users view says it when opened
  }
}

/** stop forgets the user (on log out). */
export function stop() {
  me = null;
  $("users-link").hidden = true;
  fill($("user-rows"));
  keys.stop();
  accounts.stop();
}

/** isAdmin reports whether the signed-in user may see the Users view. */
export const isAdmin = () => me?.role === "admin";

// changePassword sends the current and the new password, then logs in
// again with the new one: the change revokes every earlier token, this
// tab's included.
async function changePassword(e) {
  e.preventDefault();
  const form = e.target;
  const error = form.querySelector(".form-error");
  const button = form.querySelector("button[type=submit]");
  error.textContent = "";
  button.disabled = true;
  const password = $("new-password").value;
  try {
    await api.patch("/api/v1/users/me", { password, current_password: $("current-password").value });
    await api.login(me.username, password);
    form.reset();
    $("account-dialog").close();
    toast("Password changed. Your other sessions have ended.");
  } catch (err) {
    error.textContent = err.message;
  } finally {
    button.disabled = false;
  }
}

/** refresh lists every account (admins only). */
export async function refresh() {
  if (!isAdmin()) return;
  let users;
  try {
    users = await api.get("/api/v1/users?limit=1000");
  } catch (err) {
    showError(err, "Users could not be listed");
    return;
  }
  const pending = users.filter((u) => u.pending);
  $("users-pending").textContent = pending.length
    ? `${pending.length === 1 ? "1 account waits" : `${pending.length} accounts wait`} for your approval.`
    : "";
  fill($("user-rows"), [...pending, ...users.filter((u) => !u.pending)].map(row));
  accounts.refresh();
}

function status(u) {
  if (u.pending) return h("span", { class: "status queued" }, "waiting for approval");
  return h("span", { class: "status " + (u.is_active ? "ready" : "failed") }, u.is_active ? "active" : "deactivated");
}

function row(u) {
  const self = u.id === me.id;
  const toggle = u.pending
    ? h("button", { type: "button", class: "primary", onclick: () => setActive(u, true), "aria-label": `Approve ${u.username}` }, "Approve")
    : h("button", { type: "button", class: u.is_active ? "danger" : "", onclick: () => setActive(u, !u.is_active),
        "aria-label": `${u.is_active ? "Deactivate" : "Activate"} ${u.username}` }, u.is_active ? "Deactivate" : "Activate");
  return h("tr", {},
    h("td", { "data-label": "Name", class: "name" }, u.username, self ? h("span", { class: "badge" }, "you") : null),
    h("td", { "data-label": "Email" }, u.email),
    h("td", { "data-label": "Role" }, u.role),
    h("td", { "data-label": "Status" }, status(u)),
    h("td", { "data-label": "Usage", class: "hint" + (usage.full(u) ? " warn" : "") }, u.role === "admin" ? usage.describe(u) + " (no quota)" : usage.describe(u)),
    h("td", { class: "actions" },
      self ? h("span", { class: "hint" }, "use Account to change your own password") : [
        h("button", { type: "button", onclick: () => setPassword(u), "aria-label": `Set ${u.username}'s password` }, "Set password"),
        " ",
        u.role === "admin" ? null : h("button", { type: "button", onclick: () => setQuota(u), "aria-label": `Set ${u.username}'s quota` }, "Quota"),
        " ",
        toggle,
      ]));
}

// setQuota asks for a user's quota: empty fields follow the server's
// defaults, 0 is no limit.
async function setQuota(u) {
  const o = u.quota_override || {};
  const d = $("quota-dialog");
  const form = $("quota-form");
  const error = form.querySelector(".form-error");
  $("quota-title").textContent = `${u.username}'s quota`;
  $("quota-documents").value = o.documents ?? "";
  $("quota-mb").value = o.bytes == null ? "" : o.bytes / 1e6;
  $("quota-chunks").value = o.chunks ?? "";
  error.textContent = "";
  const field = (id, scale = 1) => ($(id).value.trim() === "" ? null : Math.round(Number($(id).value) * scale));
  const save = async (e) => {
    e.preventDefault();
    try {
      await api.patch(`/api/v1/users/${u.id}`, {
        quota: { documents: field("quota-documents"), bytes: field("quota-mb", 1e6), chunks: field("quota-chunks") },
      });
      d.close("ok");
    } catch (err) {
      error.textContent = err.message;
    }
  };
  form.addEventListener("submit", save);
  const result = await openDialog(d);
  form.removeEventListener("submit", save);
  if (result === "ok") {
    toast(`${u.username}'s quota is saved.`);
    refresh();
  }
}

async function setPassword(u) {
  const password = await ask({
    title: `Set ${u.username}'s password`,
    text: `${u.username} is signed out everywhere at once; give them the new password another way.`,
    input: { label: "New password (8 characters to 72 bytes)", type: "password" },
    ok: "Set password",
  });
  if (password === null) return;
  try {
    await api.patch(`/api/v1/users/${u.id}`, { password });
    toast(`${u.username}'s password is set.`);
  } catch (err) {
    showError(err, "The password was not set");
  }
  refresh();
}

async function setActive(u, active) {
  if (!active && !(await ask({ title: `Deactivate ${u.username}?`, text: "They are signed out at once and cannot log in until activated again. Their documents stay.", ok: "Deactivate", danger: true }))) return;
  try {
    await api.patch(`/api/v1/users/${u.id}`, { is_active: active });
    if (u.pending) toast(`${u.username} is approved and can log in.`);
  } catch (err) {
    showError(err);
  }
  refresh();
}
