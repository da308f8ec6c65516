// app.js — the page's entry point: logging in and out, registering, and
// switching between the Documents, Chat, Search and Workspaces views, and
// Users for admins (#documents, #chat, #search, #workspaces, #users in the
// address, so Back works).

import * as api from "./api.js";
import * as documents from "./documents.js";
import * as chat from "./chat.js";
import * as search from "./search.js";
import * as users from "./users.js";
import * as workspaces from "./workspaces.js";
import { $, fill, toast, showError } from "./ui.js";

const VIEWS = ["documents", "chat", "search", "workspaces", "users"];
let user = null;

documents.init();
chat.init();
search.init();
users.init();
workspaces.init();
workspaces.onChange((spaces) => {
  documents.setWorkspaces(spaces);
  chat.setWorkspaces(spaces);
});
initAuth();
$("logout").addEventListener("click", () => logOut());
window.addEventListener("hashchange", () => showView(true));
api.whenUnauthorized(() => logOut("Your session has ended. Please log in again."));
boot();

// boot resumes the session of this tab, if it has a valid token.
async function boot() {
  if (api.hasToken()) {
    try {
      return signedIn(await api.get("/api/v1/auth/me"));
    } catch (err) {
      if (err.status !== 401) showError(err);
      api.setToken("");
    }
  }
  signedOut();
}

// selectTab shows the Log in or Register form.
function selectTab(tab) {
  for (const t of [$("tab-login"), $("tab-register")]) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
}

function initAuth() {
  const tabs = [$("tab-login"), $("tab-register")];
  for (const t of tabs) {
    t.addEventListener("click", () => selectTab(t));
    // Arrow keys move between tabs, as in any tab list.
    t.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const next = tabs[(tabs.indexOf(t) + 1) % tabs.length];
      selectTab(next);
      next.focus();
    });
  }
  onSubmit($("login-form"), async (f) => {
    await api.login(f.username.value.trim(), f.password.value);
    f.password.value = "";
    signedIn(await api.get("/api/v1/auth/me"));
  });
  onSubmit($("register-form"), async (f) => {
    const username = f.username.value.trim();
    const body = { username, email: f.email.value.trim(), password: f.password.value };
    if (f.invite.value.trim()) body.invite = f.invite.value.trim();
    const made = await api.post("/api/v1/auth/register", body);
    if (made.pending) {
      f.reset();
      selectTab($("tab-login"));
      $("login-username").value = username;
      toast("Your account waits for an admin's approval; log in once it is approved.");
      return;
    }
    await api.login(username, f.password.value);
    f.reset();
    signedIn(await api.get("/api/v1/auth/me"));
    toast(`Welcome, ${username}. Upload a few documents to start.`);
  });
}

// registration explains the server's registration mode on the Register
// form and asks for an invite code where one is needed or helps.
async function registration() {
  let info;
  try {
    info = await api.get("/api/v1/auth/registration");
  } catch {
    return; // the form still works; the server explains a refusal
  }
  const closed = info.mode === "closed" && !info.first_account;
  const invite = !info.first_account && (info.mode === "invite" || info.mode === "approval");
  $("register-invite-row").hidden = !invite;
  $("register-invite").required = info.mode === "invite" && !info.first_account;
  $("register-invite-hint").textContent = info.mode === "invite" ? "(from an admin)" : "(optional: an admin's code skips the wait for approval)";
  for (const el of $("register-form").querySelectorAll("input, button")) el.disabled = closed;
  $("register-note").textContent = info.first_account
    ? "The first account becomes the admin."
    : { open: "", approval: "New accounts wait for an admin's approval before they can log in.",
        invite: "Registering needs an invite code from an admin.", closed: "Registration is closed: ask an admin for an account." }[info.mode] || "";
}

// onSubmit runs action for a form, showing its failure inside the form.
function onSubmit(form, action) {
  const error = form.querySelector(".form-error");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      await action(form);
    } catch (err) {
      error.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
}

function signedIn(u) {
  user = u;
  $("who").textContent = u.username + (u.role === "admin" ? " (admin)" : "");
  $("auth").hidden = true;
  $("app").hidden = false;
  documents.start(u);
  chat.start();
  users.start(u);
  workspaces.setUser(u);
  workspaces.start();
  showView(false);
}

function signedOut() {
  $("app").hidden = true;
  $("auth").hidden = false;
  registration();
  selectTab($("tab-login"));
  $("login-username").focus();
}

/** logOut forgets the token and everything shown. */
function logOut(message) {
  if (!user && !api.hasToken()) return;
  user = null;
  api.setToken("");
  documents.stop();
  chat.stop();
  search.stop();
  users.stop();
  workspaces.stop();
  signedOut();
  fill($("toasts"));
  if (message) toast(message, "error");
}

// showView shows the view named in the address (Documents by default).
function showView(moveFocus) {
  if (!user) return;
  let name = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "documents";
  if (name === "users" && !users.isAdmin()) name = "documents";
  for (const v of VIEWS) $("view-" + v).hidden = v !== name;
  for (const a of document.querySelectorAll("nav.views a")) {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (name === "documents") documents.refresh();
  if (name === "users") users.refresh();
  if (name === "workspaces") workspaces.refresh();
  if (moveFocus) $("main").focus({ preventScroll: true });
}
