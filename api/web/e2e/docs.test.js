// docs.test.js — the API reference at /docs: docent's own page renders
// every operation of /openapi.json with nothing fetched from elsewhere
// (every other origin is blocked, as offline), on a desktop and a phone.
//
//   npm --prefix api/web/e2e test

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifacts, binary, serve, browser, watch, workdir } from "./harness.js";

describe("docent API reference page", { timeout: 90_000 }, () => {
  let work, server, chrome;

  before(async () => {
    work = workdir();
    server = await serve(binary(work.dir), work.dir);
    chrome = await browser();
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    work?.remove();
  });

  // open loads /docs at size with every request outside docent refused,
  // and returns the page and the refused URLs.
  async function open(viewport) {
    const context = await chrome.newContext({ viewport });
    const elsewhere = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url + "/")) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const watched = await watch(page);
    const res = await page.goto(server.url + "/docs");
    assert.equal(res.status(), 200);
    await page.locator("article.op").first().waitFor();
    return { page, elsewhere, watched, context };
  }

  it("renders every operation of /openapi.json, without a token and from docent alone", async () => {
    const spec = await (await fetch(server.url + "/openapi.json")).json();
    const { page, elsewhere, watched, context } = await open({ width: 1280, height: 900 });
    const shown = await page.locator("article.op").evaluateAll((ops) =>
      ops.map((o) => o.querySelector("h3 .method").textContent + " " + o.querySelector("h3 .path").textContent));
    const want = Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item).map((m) => m.toUpperCase() + " " + path));
    assert.deepEqual([...shown].sort(), want.sort());

    // An operation shows its body's fields, its answers and who may call it.
    const change = page.locator("article.op", { has: page.locator("h3", { hasText: /^PATCH\s*\/api\/v1\/users\/me/ }) });
    assert.match(await change.textContent(), /current_password/);
    assert.match(await change.locator(".badge").textContent(), /token/);
    assert.match(await page.locator("article.op", { has: page.locator("h3", { hasText: /^GET\s*\/api\/v1\/users\/\{id\}/ }) }).locator(".badge").textContent(), /admin/);
    await page.locator("#schema-User").getByText("updated_at").waitFor();

    // The filter narrows the list.
    await page.getByLabel("Filter the endpoints").fill("password");
    const left = await page.locator("article.op:not([hidden]) h3 .path").allTextContents();
    for (const p of ["/api/v1/users/me", "/api/v1/users/{id}"]) assert.ok(left.includes(p), `filtered to ${left}: ${p} missing`);
    assert.ok(!left.includes("/health") && left.length < want.length / 3, `filtered to ${left}`);
    await page.screenshot({ path: join(artifacts, "docs.png") });

    assert.deepEqual(elsewhere, [], "the page reached outside docent");
    assert.deepEqual(watched.problems, []);
    await context.close();
  });

  it("fits a phone", async () => {
    const { page, elsewhere, context } = await open({ width: 390, height: 844 });
    await page.goto(server.url + "/docs#post_search");
    await page.locator("#post_search").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the reference scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(artifacts, "phone-docs.png") });
    assert.deepEqual(elsewhere, []);
    await context.close();
  });
});
