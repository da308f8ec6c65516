// reflow.test.js — the passage viewer's reflowing of PDF line breaks, in
// Node without a browser.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { reflow } from "../reflow.js";

describe("reflow", () => {
  it("joins the wrapped lines of a paragraph", () => {
    const pdf = "The FAA proposes to supersede Airworthiness Directive\n(AD) 2018–23–51, which applies to all The Boeing\nCompany Model 737–8 and 737–9 airplanes.";
    assert.equal(reflow(pdf), "The FAA proposes to supersede Airworthiness Directive (AD) 2018–23–51, which applies to all The Boeing Company Model 737–8 and 737–9 airplanes.");
  });
  it("keeps headings, list items, blank lines and sentence ends", () => {
    const text = "4.2 Inclusion Criteria\nThe following criteria must be met for patient inclusion, all of them:\n- aged 18 to 60 and able to consent to the study\n\nNext paragraph here.";
    assert.equal(reflow(text), text);
  });
  it("keeps a hyphen that ends a wrapped line without adding a space", () => {
    assert.equal(reflow("conflict between work and family roles is called work-\nfamily conflict"), "conflict between work and family roles is called work-family conflict");
  });
});
