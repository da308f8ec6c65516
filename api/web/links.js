// links.js — which links of an answer become live. A model (or a document
// quoted by the extractive answerer) can write [any text](any address): a
// link is live only when one of the answer's sources contains its exact
// address, it is shown with its domain beside the text, and only http(s)
// and mailto addresses qualify (never javascript:). Anything else stays
// text. Pure functions, so Node tests them without a browser.

const SCHEMES = new Set(["http:", "https:", "mailto:"]);

/**
 * linkPolicy returns, for the texts of an answer's sources, a function
 * that takes a link's address and returns the domain to show beside it
 * (the mail address for mailto:), or null when the link must stay text.
 */
export function linkPolicy(sourceTexts = []) {
  const texts = sourceTexts.filter((t) => typeof t === "string" && t);
  return (address) => {
    let u;
    try {
      u = new URL(address);
    } catch {
      return null;
    }
    if (!SCHEMES.has(u.protocol) || !texts.some((t) => containsAddress(t, address))) return null;
    if (u.protocol === "mailto:") return u.pathname || null;
    return u.hostname || null;
  };
}

// containsAddress reports whether text holds address whole: not as the
// beginning of a longer address ("https://a.example" in
// "https://a.example.evil/x") nor inside one ("https://b.example/?u=" +
// address). Sentence punctuation may follow it.
function containsAddress(text, address) {
  for (let at = text.indexOf(address); at >= 0; at = text.indexOf(address, at + 1)) {
    const before = at === 0 ? "" : text.charAt(at - 1);
    const rest = text.slice(at + address.length);
    if (before !== "" && !/[\s(\[<"'>]/.test(before)) continue;
    if (rest === "" || /^[\s)\]>"'<,;]/.test(rest) || /^[.!?:]+(\s|$)/.test(rest)) return true;
  }
  return false;
}
