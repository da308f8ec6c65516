// reflow.js — the passage viewer's text: PDF line breaks reflowed (no DOM,
// so it is tested in Node).

/**
 * reflow joins the hard line breaks of extracted PDF text: a line break
 * inside a paragraph becomes a space when the line before it is long (a
 * wrapped line of the column) and does not end a sentence. Blank lines,
 * and the breaks after short lines (headings, table rows, list items) stay.
 */
export function reflow(text) {
  const lines = text.split("\n");
  const width = Math.max(...lines.map((l) => l.trim().length));
  let out = "";
  lines.forEach((line, i) => {
    out += line;
    if (i === lines.length - 1) return;
    const t = line.trim();
    const next = lines[i + 1].trim();
    const wrapped = t.length >= 0.6 * width && !/[.:!?;。！？]$/.test(t) && next !== "" && !/^([-*•]|\d+[.)]) /.test(next);
    out += wrapped ? (/-$/.test(t) ? "" : " ") : "\n";
  });
  return out;
}
