// phone.test.js — every view of the web page on a phone: 390×844 (and the
// narrowest and widest common widths, 360 and 414), no sideways scrolling,
// every control on screen, with the long names and many conversations that
// real use brings.
//
//   npm --prefix api/web/e2e test

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifacts, binary, serve, browser, watch, workdir, chained } from "./harness.js";
import { guidePDF, waterMarkdown, question, answerPart } from "./fixtures.js";

const PHONE = { width: 390, height: 844 };
const carol = { username: "carol-with-a-rather-long-username", email: "carol@example.com", password: "carols-long-password" };

/**
 * fits asserts that the page does not scroll sideways and that each of the
 * selectors' elements is visible and wholly inside the viewport.
 */
async function fits(page, what, selectors) {
  const r = await page.evaluate((sels) => {
    const out = { overflow: document.documentElement.scrollWidth - window.innerWidth, off: [] };
    for (const s of sels) {
      const el = document.querySelector(s);
      const box = el && el.getBoundingClientRect();
      if (!box || box.width === 0) out.off.push(`${s}: not shown`);
      else if (box.left < 0 || box.right > window.innerWidth + 0.5) out.off.push(`${s}: ${Math.round(box.left)}–${Math.round(box.right)} of ${window.innerWidth}`);
    }
    return out;
  }, selectors);
  assert.ok(r.overflow <= 0, `${what}: the page scrolls sideways by ${r.overflow}px`);
  assert.deepEqual(r.off, [], `${what}: controls off screen`);
}

describe("docent web page on a phone", { timeout: 150_000 }, () => {
  let work, server, chrome, page, watched;
  const it = chained(); // each step builds on the last
  const shot = (name) => page.screenshot({ path: join(artifacts, "phone-" + name + ".png") });
  const TOP = ["nav.views a[data-view=documents]", "nav.views a[data-view=chat]", "nav.views a[data-view=search]", "#logout"];

  before(async () => {
    work = workdir();
    server = await serve(binary(work.dir), work.dir);
    chrome = await browser();
    const context = await chrome.newContext({ viewport: PHONE, colorScheme: "light", isMobile: true, hasTouch: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watched = await watch(page);
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    work?.remove();
  });

  it("login: registers and logs in on a phone", async () => {
    await page.goto(server.url + "/");
    await page.getByRole("button", { name: "Log in" }).waitFor();
    await fits(page, "login", ["#login-username", "#login-password", "#login-form button[type=submit]", "#tab-register"]);
    await shot("login");
    await page.getByRole("tab", { name: "Register" }).click();
    const form = page.locator("#register-form");
    await form.getByLabel("Username").fill(carol.username);
    await form.getByLabel("Email").fill(carol.email);
    await form.getByLabel(/^Password/).fill(carol.password);
    await fits(page, "register", ["#register-username", "#register-password", "#register-form button[type=submit]"]);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator("#who").getByText(carol.username).waitFor();
    await fits(page, "signed in with a long name", TOP);
  });

  it("documents: uploads from the picker, lists them with long names", async () => {
    await page.getByRole("link", { name: "Documents" }).click();
    const long = "field-guide-to-clean-water-in-the-mountains-second-edition-with-maps.pdf";
    await page.locator("#file-input").setInputFiles([
      { name: long, mimeType: "application/pdf", buffer: guidePDF() },
      { name: "water.md", mimeType: "text/markdown", buffer: waterMarkdown() },
    ]);
    const rows = page.locator("#document-rows tr");
    await rows.filter({ hasText: "water.md" }).locator(".status.ready").waitFor();
    await rows.filter({ hasText: long }).locator(".status.ready").waitFor();
    await fits(page, "documents", [...TOP, "label[for=file-input]", `button[aria-label="Delete ${long}"]`]);
    await shot("documents");
  });

  it("chat: asks among many conversations; the question box and Ask stay on screen", async () => {
    // Many conversations with long titles, as a command line that stores
    // every question would leave behind.
    await page.evaluate(async () => {
      const token = sessionStorage.getItem("docent.token");
      for (let i = 0; i < 14; i++) {
        await fetch("/api/v1/conversations", {
          method: "POST",
          headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
          body: JSON.stringify({ title: `Conversation ${i} about boiling water at altitude, tents and blisters` }),
        });
      }
    });
    await page.reload();
    await page.locator("#who").getByText(carol.username).waitFor();
    await page.getByRole("link", { name: "Chat" }).click();
    await page.locator("#conversation-list li").nth(13).waitFor({ state: "attached" });
    await page.getByRole("button", { name: "New conversation" }).click();
    await page.locator("#question").fill(question);
    await fits(page, "chat", [...TOP, "#question", "#ask-form button[type=submit]", "#new-conversation"]);
    await page.locator("#ask-form button[type=submit]").click();
    const reply = page.locator(".message.assistant").first(); // the new conversation's first answer
    await reply.locator(".mode").getByText("extractive").waitFor();
    assert.match(await reply.locator(".body").textContent(), new RegExp(answerPart));
    await page.locator("#question").fill("a-question-made-of-one-word-far-longer-than-any-phone-is-wide-" + "x".repeat(80));
    await page.locator("#question").press("Enter");
    await page.locator(".message.assistant").nth(1).locator(".mode").waitFor();
    await fits(page, "chat after answers", [...TOP, "#question", "#ask-form button[type=submit]", "#rename-conversation", "#delete-conversation"]);
    await shot("chat");
    await reply.locator("button.cite").first().click();
    await page.locator("#source-dialog").waitFor();
    await fits(page, "a cited passage", ["#source-dialog .close", "#source-open-document"]);
    await page.keyboard.press("Escape");
    for (const width of [360, 414]) {
      await page.setViewportSize({ width, height: 844 });
      await fits(page, `chat at ${width}px`, [...TOP, "#question", "#ask-form button[type=submit]"]);
    }
    await page.setViewportSize(PHONE);
  });

  it("search: finds passages and shows them within the screen", async () => {
    await page.getByRole("link", { name: "Search" }).click();
    await page.getByLabel("Search the documents").fill("boil water altitude");
    await fits(page, "search", [...TOP, "#search-query", "#search-mode", "#search-form button[type=submit]"]);
    await page.getByLabel("Search the documents").press("Enter");
    await page.locator("#search-results li").first().waitFor();
    await fits(page, "search results", [...TOP, "#search-results li .score"]);
    await shot("search");
  });

  it("saw no CSP violation and no script error", () => {
    assert.deepEqual(watched.problems, []);
  });
});
