// search.js — the Search view: scored passages straight from the index,
// with the query's words marked.

import * as api from "./api.js";
import { openDocument } from "./documents.js";
import { $, h, fill, showError, highlighted, termSpans, terms } from "./ui.js";

/** init wires the search form. */
export function init() {
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    search();
  });
}

/** stop clears the results (on log out). */
export function stop() {
  fill($("search-results"));
  $("search-status").textContent = "";
  $("search-query").value = "";
}

async function search() {
  const query = $("search-query").value.trim();
  if (!query) return;
  const status = $("search-status");
  status.textContent = "Searching…";
  let results;
  try {
    ({ results } = await api.post("/api/v1/search", { query, top_k: 10, mode: $("search-mode").value }));
  } catch (err) {
    status.textContent = "";
    showError(err, "Search failed");
    return;
  }
  const weak = results.filter((r) => r.below_floor).length;
  status.textContent = results.length === 0 ? "No passages found."
    : `${results.length} passage${results.length === 1 ? "" : "s"}` + (weak ? `, ${weak} of them only weakly related` : "") + ".";
  const words = terms(query);
  fill($("search-results"), results.map((r) =>
    h("li", { class: r.below_floor ? "result weak" : "result" },
      h("p", { class: "where" },
        h("button", { type: "button", class: "link name", onclick: () => openDocument(r.document_id, r.chunk_index, query) }, r.filename),
        r.title && r.title !== r.filename ? ` · ${r.title}` : "",
        r.page ? (r.end_page > r.page ? ` · pages ${r.page}–${r.end_page}` : ` · page ${r.page}`) : "",
        (r.headings || []).length ? ` · ${r.headings.join(" › ")}` : "",
        h("span", { class: "score", title: "Relevance score" }, r.score.toFixed(3))),
      h("p", { class: "passage" }, highlighted(r.text, termSpans(r.text, words))))));
}
