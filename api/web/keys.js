// keys.js — the API keys panel of the account dialog: the user's keys
// (name, prefix, scope, when made and last used), a new key shown once,
// and revocation, which stops a key at once.

import * as api from "./api.js";
import { $, h, fill, ask, toast, showError } from "./ui.js";

/** init wires the key form and the copy button. */
export function init() {
  $("key-form").addEventListener("submit", create);
  $("copy-key").addEventListener("click", async () => {
    const field = $("new-key-value");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      toast("Key copied.");
    } catch {
      toast("Select the key and copy it.");
    }
  });
  $("v1-url").textContent = location.origin + "/v1";
}

/** refresh lists the user's keys; the last new key stays hidden until made again. */
export async function refresh() {
  $("new-key").hidden = true;
  $("new-key-value").value = "";
  let keys;
  try {
    keys = await api.get("/api/v1/keys");
  } catch (err) {
    showError(err, "API keys could not be listed");
    return;
  }
  fill($("key-rows"), keys.map(row));
  $("keys-empty").hidden = keys.length > 0;
}

/** stop forgets what was shown (on log out). */
export function stop() {
  fill($("key-rows"));
  $("new-key").hidden = true;
  $("new-key-value").value = "";
}

const when = (t) => (t ? new Date(t).toLocaleString() : "never");

function row(k) {
  return h("tr", {},
    h("td", { "data-label": "Name", class: "name" }, k.name),
    h("td", { "data-label": "Key" }, h("code", {}, k.prefix + "…")),
    h("td", { "data-label": "Scope" }, k.scope),
    h("td", { "data-label": "Created" }, when(k.created_at)),
    h("td", { "data-label": "Last used" }, when(k.last_used_at)),
    h("td", { class: "actions" },
      h("button", { type: "button", class: "danger", onclick: () => revoke(k), "aria-label": `Revoke the key ${k.name}` }, "Revoke")));
}

// create makes a key and shows it once, selected for copying.
async function create(e) {
  e.preventDefault();
  const form = e.target;
  const error = form.querySelector(".form-error");
  error.textContent = "";
  try {
    const k = await api.post("/api/v1/keys", { name: $("key-name").value.trim(), scope: $("key-scope").value });
    form.reset();
    await refresh();
    $("new-key-value").value = k.key;
    $("new-key").hidden = false;
    $("new-key-value").select();
  } catch (err) {
    error.textContent = err.message;
  }
}

async function revoke(k) {
  if (!(await ask({ title: `Revoke ${k.name}?`, text: "Whatever uses this key is refused from now on.", ok: "Revoke", danger: true }))) return;
  try {
    await api.del(`/api/v1/keys/${k.id}`);
    toast(`${k.name} is revoked.`);
  } catch (err) {
    showError(err, "The key was not revoked");
  }
  refresh();
}
