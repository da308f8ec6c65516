// fixtures.js — the documents the end-to-end test uploads, made here so
// nothing binary is checked in.

/**
 * pdf writes a minimal, valid one-page PDF 1.4 whose text layer holds
 * lines (Helvetica 12 pt, one line every 16 pt from the top), with a
 * correct cross-reference table.
 */
export function pdf(lines) {
  const esc = (s) => s.replace(/[\\()]/g, (c) => "\\" + c);
  const text = lines.map((l, i) => `BT /F1 12 Tf 72 ${720 - 16 * i} Td (${esc(l)}) Tj ET`).join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    `<< /Length ${Buffer.byteLength(text, "latin1")} >>\nstream\n${text}\nendstream`,
  ];
  let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

/** The PDF: a field guide page that does not answer the question. */
export const guidePDF = () =>
  pdf([
    "Field guide to clean water",
    "Filter cloudy water through a clean cloth before treating it.",
    "Chlorine tablets need thirty minutes to work.",
  ]);

/** The Markdown file holding the answer sentence. */
export const waterMarkdown = () =>
  Buffer.from(
    [
      "# Boiling water",
      "",
      "Boiling water makes it safe to drink.",
      "",
      "At altitudes above 2000 metres, boil water for three minutes (see [the altitude table](https://water.example.org/altitude)).",
      "",
      "At sea level one minute of rolling boil is enough.",
      "",
      "## Storage",
      "",
      "Keep boiled water in clean, covered containers.",
      "",
    ].join("\n"),
  );

/** The link the answer sentence carries: live in the answer, shown with its domain. */
export const answerLink = { text: "the altitude table", href: "https://water.example.org/altitude", domain: "water.example.org" };

/** The question whose answer is in the Markdown file. */
export const question = "How long should water boil at high altitude?";
export const answerPart = "three minutes";
