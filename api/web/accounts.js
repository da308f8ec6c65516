// accounts.js — how accounts come about, in the Users view (admins): an
// account added directly, and single-use invite codes (made, listed
// without their codes, withdrawn).

import * as api from "./api.js";
import { $, h, fill, ask, toast, showError } from "./ui.js";

let changed = () => {}; // the Users view's refresh

/** init wires the add-account form and the invite buttons; onChange refreshes the list of users. */
export function init(onChange) {
  changed = onChange;
  $("add-user-form").addEventListener("submit", addUser);
  $("make-invite").addEventListener("click", makeInvite);
  $("copy-invite").addEventListener("click", async () => {
    const field = $("new-invite-value");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      toast("Invite code copied.");
    } catch {
      toast("Select the code and copy it.");
    }
  });
}

/** refresh lists the invites. */
export async function refresh() {
  let invites;
  try {
    invites = await api.get("/api/v1/invites");
  } catch (err) {
    showError(err, "Invites could not be listed");
    return;
  }
  fill($("invite-rows"), invites.map(row));
}

/** stop forgets what was shown (on log out). */
export function stop() {
  fill($("invite-rows"));
  $("new-invite").hidden = true;
  $("new-invite-value").value = "";
}

const when = (t) => new Date(t).toLocaleString();

function row(inv) {
  const used = Boolean(inv.used_by);
  const expired = !used && new Date(inv.expires_at) < new Date();
  const status = used ? "used" : expired ? "expired" : "unused";
  return h("tr", {},
    h("td", { "data-label": "Made" }, when(inv.created_at)),
    h("td", { "data-label": "Expires" }, when(inv.expires_at)),
    h("td", { "data-label": "Status" }, h("span", { class: "status " + (status === "unused" ? "ready" : "queued") }, status)),
    h("td", { class: "actions" },
      h("button", { type: "button", class: "danger", onclick: () => withdraw(inv), "aria-label": `Withdraw the invite made ${when(inv.created_at)}` },
        used ? "Remove" : "Withdraw")));
}

async function makeInvite() {
  try {
    const inv = await api.post("/api/v1/invites", {});
    $("new-invite-value").value = inv.code;
    $("new-invite").hidden = false;
    $("new-invite-value").select();
  } catch (err) {
    showError(err, "The invite was not made");
  }
  refresh();
}

async function withdraw(inv) {
  if (!inv.used_by && !(await ask({ title: "Withdraw this invite?", text: "Its code stops working at once.", ok: "Withdraw", danger: true }))) return;
  try {
    await api.del(`/api/v1/invites/${inv.id}`);
  } catch (err) {
    showError(err, "The invite was not withdrawn");
  }
  refresh();
}

// addUser adds an active account with the password the admin chose.
async function addUser(e) {
  e.preventDefault();
  const form = e.target;
  const error = form.querySelector(".form-error");
  error.textContent = "";
  const username = $("add-user-name").value.trim();
  try {
    await api.post("/api/v1/users", { username, email: $("add-user-email").value.trim(), password: $("add-user-password").value });
    form.reset();
    toast(`${username} can log in now; give them the password another way.`);
    changed();
  } catch (err) {
    error.textContent = err.message;
  }
}
