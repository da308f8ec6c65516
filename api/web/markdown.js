// markdown.js — a small, safe Markdown renderer for answers.
//
// It builds DOM nodes and sets text only through text nodes: nothing from
// a model or a document is ever parsed as HTML. The subset: paragraphs,
// headings, bullet and numbered lists, block quotes, fenced code, rules;
// inline **bold**, *italic*, `code`, [links](https://…) and citations [n]
// (or [1, 2]) that become buttons when a source n exists. A link is live
// only when opts.link (see links.js) gives the domain to show beside it:
// an address none of the answer's sources contains stays text.

import { h } from "./ui.js";

/**
 * render turns Markdown text into a DocumentFragment. opts.sources is the
 * number of sources; opts.onCite(n, quote) runs when citation n is
 * clicked, with the sentence that cites it.
 */
export function render(text, opts = {}) {
  const frag = document.createDocumentFragment();
  const lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (!line.trim()) {
      i++;
    } else if ((m = line.match(/^\s*(```|~~~)/))) {
      // Fenced code runs to the closing fence (or the end, while streaming).
      const fence = m[1];
      const body = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++) body.push(lines[i]);
      i++;
      frag.append(h("pre", {}, h("code", {}, body.join("\n"))));
    } else if ((m = line.match(/^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/))) {
      // Headings are demoted below the page's own (h4..h6).
      frag.append(h("h" + Math.min(6, m[1].length + 3), {}, inline(m[2], opts)));
      i++;
    } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      frag.append(h("hr"));
      i++;
    } else if (/^\s{0,3}>/.test(line)) {
      const quoted = [];
      for (; i < lines.length && /^\s{0,3}>/.test(lines[i]); i++) quoted.push(lines[i].replace(/^\s{0,3}>\s?/, ""));
      frag.append(h("blockquote", {}, render(quoted.join("\n"), opts)));
    } else if (listItem(line)) {
      // Consecutive items of one kind; an indented line continues an item.
      const { ordered, number } = listItem(line);
      const list = h(ordered ? "ol" : "ul", { start: ordered && number !== 1 ? number : null });
      for (; i < lines.length; i++) {
        const li = listItem(lines[i]);
        if (li && li.ordered === ordered) list.append(h("li", {}, inline(li.text, opts)));
        else if (list.lastChild && lines[i].trim() && /^\s+/.test(lines[i]))
          list.lastChild.append(" ", ...inline(lines[i].trim(), opts));
        else break;
      }
      frag.append(list);
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() && !startsBlock(lines[i]); i++) para.push(lines[i].trim());
      if (!para.length) para.push(lines[i++].trim()); // a lone marker-like line
      frag.append(h("p", {}, inline(para.join(" "), opts)));
    }
  }
  return frag;
}

function listItem(line) {
  let m = line.match(/^\s*[-*+]\s+(.*)$/);
  if (m) return { ordered: false, text: m[1] };
  m = line.match(/^\s*(\d{1,9})[.)]\s+(.*)$/);
  if (m) return { ordered: true, number: Number(m[1]), text: m[2] };
  return null;
}

function startsBlock(line) {
  return /^\s*(```|~~~)|^\s{0,3}(#{1,6}\s|>)/.test(line) || listItem(line) !== null;
}

// The inline syntax, tried left to right; the first match wins.
const INLINE = new RegExp(
  [
    "`([^`\\n]+)`", // 1 code
    "\\*\\*(?=\\S)(.+?)\\*\\*", // 2 bold
    "(?<![\\p{L}\\p{N}_])__(?=\\S)(.+?)__(?![\\p{L}\\p{N}_])", // 3 bold
    "\\*(?=[^\\s*])([^*]+?)\\*", // 4 italic
    "(?<![\\p{L}\\p{N}_])_(?=[^\\s_])([^_]+?)_(?![\\p{L}\\p{N}_])", // 5 italic
    "\\[([^\\]\\n]+)\\]\\(((?:https?://|mailto:)[^\\s()]+)\\)", // 6 text, 7 url of a link
    "\\[(\\d{1,3}(?:\\s*,\\s*\\d{1,3})*)\\]", // 8 citations
  ].join("|"),
  "gu",
);

/** inline renders one block's inline Markdown as an array of nodes and strings. */
export function inline(text, opts = {}) {
  const out = [];
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    at = m.index + m[0].length;
    if (m[1] !== undefined) out.push(h("code", {}, m[1]));
    else if (m[2] !== undefined || m[3] !== undefined) out.push(h("strong", {}, inline(m[2] ?? m[3], opts)));
    else if (m[4] !== undefined || m[5] !== undefined) out.push(h("em", {}, inline(m[4] ?? m[5], opts)));
    else if (m[6] !== undefined) out.push(...link(m[6], m[7], opts));
    else out.push(...citations(m[8], m[0], quoteBefore(text, m.index), opts));
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

// link renders [text](address) as a link followed by its domain, when
// opts.link allows the address, else as the text alone.
function link(text, address, opts) {
  const domain = opts.link ? opts.link(address) : null;
  if (!domain) return [text];
  return [h("a", { href: address, rel: "noopener noreferrer nofollow", target: "_blank", title: address }, text),
    h("span", { class: "link-domain" }, ` (${domain})`)];
}

// citations renders "[1, 2]" as buttons for the sources that exist.
function citations(list, raw, quote, opts) {
  const ns = list.split(",").map((s) => Number(s.trim()));
  if (!opts.onCite || ns.some((n) => n < 1 || n > (opts.sources || 0))) return [raw];
  return ns.map((n) =>
    h("button", { type: "button", class: "cite", "aria-label": `Source ${n}`, title: `Show source ${n}`,
      onclick: () => opts.onCite(n, quote) }, String(n)),
  );
}

/**
 * quoteBefore is the sentence that ends where a citation starts: the text
 * after the previous citation or sentence end, without Markdown marks.
 */
export function quoteBefore(text, end) {
  // Citations and sentence ends right before this one belong to the same sentence.
  const before = text.slice(0, end).replace(/(\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\]|[\s.!?])+$/, "");
  let start = 0;
  for (const m of before.matchAll(/\[\d{1,3}(?:\s*,\s*\d{1,3})*\]|[.!?]["')\]]?\s+/g)) start = m.index + m[0].length;
  return before.slice(start).replace(/[*_`]/g, "").trim();
}
