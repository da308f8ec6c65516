// links.test.js — which links of an answer are live (links.js), in Node
// without a browser.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { linkPolicy } from "../links.js";

describe("linkPolicy", () => {
  const sources = [
    "See [the claim form](https://benefits.example.com/claims?id=7) for details.",
    "Write to help@example.org or visit http://intranet.example/leave.",
  ];
  const link = linkPolicy(sources);
  it("keeps a link whose exact address a source contains, with its domain", () => {
    assert.equal(link("https://benefits.example.com/claims?id=7"), "benefits.example.com");
    assert.equal(link("http://intranet.example/leave"), "intranet.example", "an address before a full stop");
  });
  it("leaves an address no source contains as text", () => {
    assert.equal(link("https://elsewhere.example/phish"), null);
    assert.equal(link("https://benefits.example.com/claims?id=8"), null);
    assert.equal(link("https://benefits.example.com"), null, "the beginning of a longer address in a source");
    assert.equal(linkPolicy(["at https://a.example.evil/x"])("https://a.example"), null);
    assert.equal(linkPolicy(["go to https://b.example/?next=https://a.example/x now"])("https://a.example/x"), null,
      "an address inside a longer one");
  });
  it("accepts an address in brackets, quotes or before sentence punctuation", () => {
    for (const text of ["(https://a.example/x)", "<https://a.example/x>", '"https://a.example/x"', "see https://a.example/x.", "at https://a.example/x, then", "https://a.example/x"])
      assert.equal(linkPolicy([text])("https://a.example/x"), "a.example", text);
  });
  it("never makes javascript:, data: or file: links live, even when a source holds them", () => {
    const hostile = linkPolicy(["javascript:alert(1) data:text/html,x file:///etc/passwd"]);
    for (const a of ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd"]) assert.equal(hostile(a), null, a);
  });
  it("shows a mail link's address", () => {
    assert.equal(linkPolicy(["mailto:help@example.org"])("mailto:help@example.org"), "help@example.org");
  });
  it("makes nothing live without sources", () => {
    assert.equal(linkPolicy([])("https://benefits.example.com/claims?id=7"), null);
  });
});
