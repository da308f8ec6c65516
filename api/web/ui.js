// ui.js — small DOM helpers shared by the views: element building (text
// only ever set through textContent), messages, dialogs and formatting.

/** $ finds an element by id. */
export const $ = (id) => document.getElementById(id);

/**
 * h builds an element: h("button", {class: "x", onclick: fn}, "text", child).
 * Strings become text nodes, so nothing passed here is parsed as HTML.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** fill replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** toast shows a message for a few seconds (errors stay longer). */
export function toast(message, kind = "info") {
  const box = $("toasts");
  const item = h("div", { class: "toast " + kind }, h("span", {}, message),
    h("button", { type: "button", class: "close", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 10000 : 4000);
}

/** showError reports a failed action with the API's detail. */
export function showError(err, what) {
  if (err && err.name === "AbortError") return;
  const detail = (err && err.message) || String(err);
  toast(what ? `${what}: ${detail}` : detail, "error");
}

// Dialogs: <dialog> with showModal() traps focus and closes on Esc; a
// click on the backdrop or on a [data-close] button closes it too.
for (const d of document.querySelectorAll("dialog")) {
  d.addEventListener("click", (e) => {
    if (e.target === d || e.target.closest("[data-close]")) d.close("cancel");
  });
}

/** openDialog shows a modal dialog and resolves with its returnValue when it closes. */
export function openDialog(d) {
  return new Promise((resolve) => {
    d.returnValue = "";
    d.addEventListener("close", () => resolve(d.returnValue), { once: true });
    d.showModal();
  });
}

/**
 * ask shows the question dialog: a confirmation, or with input set a
 * one-field prompt. Resolves with true / the entered text, or null.
 */
export async function ask({ title, text = "", ok = "OK", danger = false, input }) {
  const d = $("ask-dialog");
  $("ask-dialog-title").textContent = title;
  $("ask-dialog-text").textContent = text;
  const okButton = $("ask-dialog-ok");
  okButton.textContent = ok;
  okButton.className = danger ? "danger" : "primary";
  const field = $("ask-dialog-input");
  const label = $("ask-dialog-label");
  field.hidden = label.hidden = !input;
  field.required = !!input;
  field.type = input?.type || "text";
  field.autocomplete = field.type === "password" ? "new-password" : "off";
  if (input) {
    label.textContent = input.label;
    field.value = input.value || "";
  }
  const form = $("ask-dialog-form");
  const submit = (e) => {
    e.preventDefault();
    if (input && !field.value.trim()) return;
    d.close("ok");
  };
  form.addEventListener("submit", submit);
  const shown = openDialog(d);
  (input ? field : okButton).focus();
  if (input) field.select();
  const result = await shown;
  form.removeEventListener("submit", submit);
  const value = field.type === "password" ? field.value : field.value.trim();
  field.value = "";
  if (result !== "ok") return null;
  return input ? value : true;
}

/** formatSize renders a byte count. */
export function formatSize(n) {
  if (n == null) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** formatType names a content type the way people say it. */
export function formatType(contentType = "") {
  const t = contentType.split(";")[0].trim();
  return (
    {
      "application/pdf": "PDF",
      "text/markdown": "Markdown",
      "text/plain": "Text",
      "text/html": "HTML",
      "text/csv": "CSV",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
      "application/vnd.oasis.opendocument.text": "OpenDocument text",
      "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument sheet",
      "application/vnd.oasis.opendocument.presentation": "OpenDocument slides",
      "application/epub+zip": "EPUB",
      "application/rtf": "RTF",
      "message/rfc822": "E-mail",
      "application/mbox": "Mailbox",
      "image/png": "PNG image",
      "image/jpeg": "JPEG image",
      "image/tiff": "TIFF image",
    }[t] || t
  );
}

const STOP = new Set(
  "a an and are as at be by can do does for from has have how i in is it its of on or should that the this to was what when where which who why will with you your".split(" "),
);

/** terms are the words of text worth highlighting. */
export function terms(text) {
  return [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).filter((w) => w.length > 2 && !STOP.has(w)))];
}

/**
 * highlighted returns text as nodes with <mark> around the given spans
 * ([start, end) pairs, sorted, not overlapping).
 */
export function highlighted(text, spans) {
  const out = [];
  let at = 0;
  for (const [s, e] of spans) {
    if (s > at) out.push(text.slice(at, s));
    out.push(h("mark", {}, text.slice(s, e)));
    at = e;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/** termSpans finds where words starting with one of words occur in text. */
export function termSpans(text, words) {
  if (!words.length) return [];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})[\\p{L}\\p{N}]*`, "giu");
  return [...text.matchAll(re)].map((m) => [m.index, m.index + m[0].length]);
}

// loose is text lowercased with runs of white space made one space, and
// where each of its characters came from in text.
function loose(text) {
  let out = "";
  const at = [];
  let space = true;
  for (let i = 0; i < text.length; i++) {
    if (/\s/.test(text[i])) {
      if (!space) {
        out += " ";
        at.push(i);
      }
      space = true;
      continue;
    }
    space = false;
    const lc = text[i].toLowerCase();
    out += lc;
    for (let k = 0; k < lc.length; k++) at.push(i);
  }
  return { out, at };
}

/**
 * quoteSpans finds where a quoted sentence (or its parts around "…")
 * stands in text, ignoring case and spacing; failing that, where its
 * words do.
 */
export function quoteSpans(text, quote) {
  const t = loose(text);
  const spans = [];
  for (const part of loose(quote).out.split(/\s*(?:…|\.\.\.)\s*/)) {
    const p = part.trim();
    const i = p.length >= 12 ? t.out.indexOf(p) : -1;
    if (i >= 0) spans.push([t.at[i], t.at[i + p.length - 1] + 1]);
  }
  if (!spans.length) return termSpans(text, terms(quote));
  spans.sort((a, b) => a[0] - b[0]);
  return spans.filter((s, i) => i === 0 || s[0] >= spans[i - 1][1]);
}
