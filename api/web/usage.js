// usage.js — what an account stores against its quota: shown above the
// documents, in the account dialog and, for admins, in the Users view,
// where a user's quota is changed.

import * as api from "./api.js";
import { $, formatSize } from "./ui.js";

const count = (n) => Number(n).toLocaleString();

/**
 * describe is a user's usage against their quota as one line:
 * "3 of 5,000 documents · 12 KB of 1 GB · 40 of 100,000 passages".
 */
export function describe(u) {
  if (!u.usage) return "";
  const q = u.quota || {};
  const part = (used, max, what, fmt = count) => (max == null ? `${fmt(used)} ${what}` : `${fmt(used)} of ${fmt(max)} ${what}`);
  return [
    part(u.usage.documents, q.documents, "documents"),
    q.bytes == null ? formatSize(u.usage.bytes) : `${formatSize(u.usage.bytes)} of ${formatSize(q.bytes)}`,
    part(u.usage.chunks, q.chunks, "passages"),
  ].join(" · ");
}

/** full reports whether any quota of u is used up. */
export function full(u) {
  const q = u.quota || {};
  return ["documents", "bytes", "chunks"].some((k) => q[k] != null && u.usage && u.usage[k] >= q[k]);
}

/** show fetches the signed-in user's usage into the Documents view. */
export async function show() {
  let me;
  try {
    me = await api.get("/api/v1/auth/me");
  } catch {
    return; // the list of documents matters more
  }
  const line = $("usage");
  line.textContent = describe(me) ? "Your documents: " + describe(me) + (full(me) ? ". A quota is used up: delete documents or ask an admin." : ".") : "";
  line.classList.toggle("warn", full(me));
}
