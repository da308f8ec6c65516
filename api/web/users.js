// users.js — the account dialog, where anyone changes their own password
// (the current one is required, and every other session ends) and manages
// their API keys (keys.js), and the
// Users view for admins: every account, activated or deactivated, and a
// forgotten password set anew.

import * as api from "./api.js";
import * as keys from "./keys.js";
import { $, h, fill, ask, toast, showError, openDialog } from "./ui.js";

let me = null; // the signed-in user

/** init wires the account dialog. */
export function init() {
  $("account").addEventListener("click", () => {
    if (!me) return;
    $("account-meta").textContent = `${me.username} · ${me.email} · ${me.role}`;
    $("password-form").reset();
    $("password-form").querySelector(".form-error").textContent = "";
    openDialog($("account-dialog"));
    $("current-password").focus();
    keys.refresh();
  });
  $("password-form").addEventListener("submit", changePassword);
  keys.init();
}

/** start remembers who is signed in and offers admins the Users view. */
export function start(u) {
  me = u;
  $("users-link").hidden = u.role !== "admin";
}

/** stop forgets the user (on log out). */
export function stop() {
  me = null;
  $("users-link").hidden = true;
  fill($("user-rows"));
  keys.stop();
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
  fill($("user-rows"), users.map(row));
}

function row(u) {
  const self = u.id === me.id;
  return h("tr", {},
    h("td", { "data-label": "Name", class: "name" }, u.username, self ? h("span", { class: "badge" }, "you") : null),
    h("td", { "data-label": "Email" }, u.email),
    h("td", { "data-label": "Role" }, u.role),
    h("td", { "data-label": "Status" }, h("span", { class: "status " + (u.is_active ? "ready" : "failed") }, u.is_active ? "active" : "deactivated")),
    h("td", { class: "actions" },
      self ? h("span", { class: "hint" }, "use Account to change your own password") : [
        h("button", { type: "button", onclick: () => setPassword(u), "aria-label": `Set ${u.username}'s password` }, "Set password"),
        " ",
        h("button", { type: "button", class: u.is_active ? "danger" : "", onclick: () => setActive(u, !u.is_active),
          "aria-label": `${u.is_active ? "Deactivate" : "Activate"} ${u.username}` }, u.is_active ? "Deactivate" : "Activate"),
      ]));
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
  } catch (err) {
    showError(err);
  }
  refresh();
}
