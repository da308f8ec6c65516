// web.test.js — docent's web page end to end: the real binary, a real
// browser, one user's whole journey and a second user who must not see
// the first one's documents, who waits for the admin's approval first.
//
//   npm --prefix api/web/e2e ci && npm --prefix api/web/e2e test
//
// DOCENT_BIN=path skips building the binary; screenshots go to
// .ci/artifacts/e2e/; DOCENT_E2E_SCREENSHOT=1 also refreshes
// api/web/screenshot.png.

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { repo, artifacts, binary, serve, browser, watch, workdir, chained } from "./harness.js";
import { guidePDF, waterMarkdown, question, answerPart, answerLink } from "./fixtures.js";

const DESKTOP = { width: 1280, height: 820 };
const PHONE = { width: 390, height: 844 };
const alice = { username: "alice", email: "alice@example.com", password: "correct-horse-battery" };
const bob = { username: "bob", email: "bob@example.com", password: "another-long-password" };

describe("docent web page", { timeout: 150_000 }, () => {
  let work, server, chrome, page, watched;
  const it = chained(); // each step builds on the last
  const shot = (name) => page.screenshot({ path: join(artifacts, name + ".png") });

  before(async () => {
    work = workdir();
    server = await serve(binary(work.dir), work.dir);
    chrome = await browser();
    const context = await chrome.newContext({ viewport: DESKTOP, colorScheme: "light" });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watched = await watch(page);
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    work?.remove();
    if (watched?.console.length) console.log("browser console:\n  " + watched.console.join("\n  "));
  });

  it("serves the page under its Content-Security-Policy", async () => {
    const res = await page.goto(server.url + "/");
    assert.equal(res.status(), 200);
    assert.match(res.headers()["content-security-policy"], /script-src 'self'; style-src 'self'/);
    assert.match(res.headers()["cache-control"], /no-cache/);
    await page.getByRole("button", { name: "Log in" }).waitFor();
    await shot("login");
  });

  it("registers, logs out, refuses a wrong password with the server's words, logs in", async () => {
    await page.getByRole("tab", { name: "Register" }).click();
    const pageForm = page.locator("#register-form");
    await pageForm.getByLabel("Username").fill(alice.username);
    await pageForm.getByLabel("Email").fill(alice.email);
    await pageForm.getByLabel(/^Password/).fill(alice.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator("#who").getByText("alice").waitFor();
    const stored = await page.evaluate(() => location.href + " " + document.cookie);
    assert.ok(!stored.includes("ey"), "the token must not be in the URL or a cookie");

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Username or email").fill(alice.username);
    await page.locator("#login-password").fill("not-the-password");
    await page.locator("#login-form").getByRole("button", { name: "Log in" }).click();
    await page.locator("#login-form .form-error").getByText("incorrect username or password").waitFor();

    await page.locator("#login-password").fill(alice.password);
    await page.locator("#login-form").getByRole("button", { name: "Log in" }).click();
    await page.locator("#who").getByText("alice").waitFor();
  });

  it("uploads a PDF (picker) and a Markdown file (drop), showing progress and status until ready", async () => {
    await page.getByRole("link", { name: "Documents" }).click();
    await page.locator("#file-input").setInputFiles([{ name: "guide.pdf", mimeType: "application/pdf", buffer: guidePDF() }]);
    // Drop a file on the zone as a user dragging from the desktop would.
    const md = waterMarkdown().toString("utf8");
    const drop = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], "water.md", { type: "text/markdown" }));
      return dt;
    }, md);
    await page.dispatchEvent("#dropzone", "drop", { dataTransfer: drop });

    const uploads = page.locator("#uploads li");
    await uploads.filter({ hasText: "guide.pdf" }).locator(".state").getByText(/ready/).waitFor();
    await uploads.filter({ hasText: "water.md" }).locator(".state").getByText(/ready/).waitFor();

    const rows = page.locator("#document-rows tr");
    const pdfRow = rows.filter({ hasText: "guide.pdf" });
    await pdfRow.locator(".status.ready").waitFor();
    assert.equal(await pdfRow.locator("td[data-label=Type]").textContent(), "PDF");
    assert.equal(await pdfRow.locator("td[data-label=Pages]").textContent(), "1");
    const mdRow = rows.filter({ hasText: "water.md" });
    await mdRow.locator(".status.ready").waitFor();
    assert.equal(await mdRow.locator("td[data-label=Type]").textContent(), "Markdown");
    await shot("documents");
  });

  it("shows why an upload is refused or a document fails", async () => {
    await page.locator("#file-input").setInputFiles([
      { name: "tool.exe", mimeType: "application/octet-stream", buffer: Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0xff, 0xff]) },
      { name: "broken.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\nthis is not really a PDF\n%%EOF\n") },
    ]);
    const uploads = page.locator("#uploads li");
    const refused = uploads.filter({ hasText: "tool.exe" });
    await refused.locator(".state").getByText("refused").waitFor();
    assert.match(await refused.textContent(), /cannot be read/, "the 415 detail is shown");
    const broken = page.locator("#document-rows tr", { hasText: "broken.pdf" });
    await broken.locator(".status.failed").waitFor();
    assert.ok((await broken.locator(".reason").textContent()).length > 5, "the failure has a reason");
    await shot("upload-errors");
    await page.getByRole("button", { name: "Delete broken.pdf" }).click();
    await page.locator("#ask-dialog").getByRole("button", { name: "Delete" }).click();
    await broken.waitFor({ state: "detached" });
  });

  it("opens a document's chunks and closes the dialog with Esc", async () => {
    await page.getByRole("button", { name: "guide.pdf", exact: true }).click();
    const dialog = page.locator("#chunks-dialog");
    await dialog.getByText("Chlorine tablets need thirty minutes to work.").waitFor();
    assert.match(await dialog.locator("#chunks-list li").first().textContent(), /page 1/);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
  });

  it("streams an extractive answer with a citation that opens the highlighted passage", async () => {
    await page.getByRole("link", { name: "Chat" }).click();
    await page.getByLabel("Your question").fill(question);
    await page.getByLabel("Your question").press("Enter");
    const reply = page.locator(".message.assistant").last();
    await reply.locator(".mode").getByText("extractive").waitFor();
    assert.equal(await reply.getAttribute("aria-busy"), null, "the answer is no longer busy");
    assert.match(await reply.locator(".body").textContent(), new RegExp(answerPart));
    // The source's own link is live, shown with its domain, opening nothing of ours.
    const link = reply.locator(".body a");
    assert.equal(await link.count(), 1);
    assert.equal(await link.textContent(), answerLink.text);
    assert.equal(await link.getAttribute("href"), answerLink.href);
    assert.match(await link.getAttribute("rel"), /\bnoopener\b.*\bnoreferrer\b/);
    assert.equal(await reply.locator(".body .link-domain").textContent(), ` (${answerLink.domain})`);

    const cite = reply.locator("button.cite").first();
    await cite.click();
    const dialog = page.locator("#source-dialog");
    await dialog.waitFor();
    assert.match(await dialog.locator("#source-title").textContent(), /water\.md/);
    assert.match(await dialog.locator("#source-text mark").first().textContent(), new RegExp(answerPart));
    await shot("chat-source");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // The conversation got a title and can be renamed.
    await page.locator("#conversation-list button[aria-current=true]").waitFor();
    await page.getByRole("button", { name: "Rename" }).click();
    await page.locator("#ask-dialog-input").fill("Boiling at altitude");
    await page.locator("#ask-dialog-input").press("Enter");
    await page.locator("#conversation-title").getByText("Boiling at altitude").waitFor();
    await page.locator("#conversation-list").getByText("Boiling at altitude").waitFor();
    await reply.locator("details.sources summary").click();
    await shot("chat");
  });

  it("searches passages with scores", async () => {
    await page.getByRole("link", { name: "Search" }).click();
    await page.getByLabel("Search the documents").fill("boil water altitude");
    await page.getByLabel("Search the documents").press("Enter");
    const first = page.locator("#search-results li").first();
    await first.waitFor();
    assert.match(await first.locator(".where").textContent(), /water\.md/);
    assert.match(await first.locator(".score").textContent(), /^\d\.\d{3}$/);
    assert.ok((await first.locator("mark").count()) > 0, "query words are marked");
    await shot("search");
  });

  it("renders Markdown from a model as text, never as HTML", async () => {
    const url = await page.locator("link[rel=modulepreload][href*='/markdown.']").getAttribute("href");
    const out = await page.evaluate(async (src) => {
      const { render } = await import(src);
      const box = document.createElement("div");
      box.append(render('# T\n\n<img src=x onerror="window.pwned=1"> **bold** [1] [9] [site](javascript:alert(1))\n\n- a\n- b', { sources: 1, onCite() {} }));
      return {
        elements: [...box.querySelectorAll("*")].map((e) => e.tagName.toLowerCase()).sort().join(","),
        text: box.textContent,
      };
    }, url);
    assert.equal(out.elements, "button,h4,li,li,p,strong,ul");
    assert.match(out.text, /<img src=x onerror="window.pwned=1">/);
    assert.match(out.text, /\[9\]/);

    // Links: live only when a source holds the address, shown with its domain.
    const linksURL = await page.locator("link[rel=modulepreload][href*='/links.']").getAttribute("href");
    const links = await page.evaluate(async ([m, l]) => {
      const { render } = await import(m);
      const { linkPolicy } = await import(l);
      const box = document.createElement("div");
      box.append(render("See [the form](https://benefits.example.com/claims) or [a prize](https://evil.example/win).",
        { link: linkPolicy(["Claims go through https://benefits.example.com/claims within 30 days."]) }));
      return { links: [...box.querySelectorAll("a")].map((a) => `${a.href} ${a.rel}`), text: box.textContent };
    }, [url, linksURL]);
    assert.deepEqual(links.links, ["https://benefits.example.com/claims noopener noreferrer nofollow"]);
    assert.equal(links.text, "See the form (benefits.example.com) or a prize.");
  });

  it("fits a phone-sized screen", async () => {
    await page.setViewportSize(PHONE);
    await page.getByRole("link", { name: "Documents" }).click();
    await page.locator("#document-rows tr").first().waitFor();
    await shot("phone-documents");
    await page.getByRole("link", { name: "Chat" }).click();
    await page.locator(".message.assistant").last().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await shot("phone-chat");
    await page.setViewportSize(DESKTOP);
  });

  it("deletes a document after confirmation", async () => {
    await page.getByRole("link", { name: "Documents" }).click();
    await page.getByRole("button", { name: "Delete water.md" }).click();
    await page.locator("#ask-dialog").getByRole("button", { name: "Delete" }).click();
    await page.locator("#document-rows tr", { hasText: "water.md" }).waitFor({ state: "detached" });
    await page.locator("#document-rows tr", { hasText: "guide.pdf" }).waitFor();
  });

  it("shows a second user none of the first user's documents", async () => {
    const context = await chrome.newContext({ viewport: DESKTOP, colorScheme: "dark" });
    const other = await context.newPage();
    const otherWatch = await watch(other);
    await other.goto(server.url + "/");
    await other.getByRole("tab", { name: "Register" }).click();
    const otherForm = other.locator("#register-form");
    await otherForm.getByLabel("Username").fill(bob.username);
    await otherForm.getByLabel("Email").fill(bob.email);
    await otherForm.getByLabel(/^Password/).fill(bob.password);
    await other.locator("#register-note").getByText("wait for an admin's approval").waitFor();
    await other.getByRole("button", { name: "Create account" }).click();
    // Registration waits for approval (the default): alice approves bob in the Users view.
    await other.locator("#toasts").getByText("waits for an admin's approval").waitFor();
    await other.locator("#login-password").fill(bob.password);
    await other.locator("#login-form").getByRole("button", { name: "Log in" }).click();
    await other.locator("#login-form .form-error").getByText("waits for an admin's approval").waitFor();
    await page.getByRole("link", { name: "Users" }).click();
    await page.locator("#users-pending").getByText("1 account waits for your approval").waitFor();
    await shot("users-pending");
    await page.getByRole("button", { name: "Approve bob" }).click();
    await page.locator("#toasts").getByText("bob is approved").waitFor();
    await other.locator("#login-form").getByRole("button", { name: "Log in" }).click();
    await other.locator("#who").getByText("bob").waitFor();
    await other.locator("#documents-empty").waitFor();
    assert.equal(await other.locator("#document-rows tr").count(), 0);

    await other.getByRole("link", { name: "Search" }).click();
    await other.getByLabel("Search the documents").fill("water");
    await other.getByLabel("Search the documents").press("Enter");
    await other.locator("#search-status").getByText("No passages found.").waitFor();
    await other.screenshot({ path: join(artifacts, "dark-search.png") });

    // Alice limits bob to one document: his second upload is refused, naming the quota.
    await page.getByRole("button", { name: "Set bob's quota" }).click();
    await page.locator("#quota-documents").fill("1");
    await page.locator("#quota-form").getByRole("button", { name: "Save quota" }).click();
    await page.locator("#toasts").getByText("bob's quota is saved").waitFor();
    await other.getByRole("link", { name: "Documents" }).click();
    await other.locator("#usage").getByText("0 of 1 documents").waitFor();
    // One at a time: the page uploads files in parallel, and which of two
    // racing uploads the quota takes is not this test's question.
    await other.locator("#file-input").setInputFiles([
      { name: "first.md", mimeType: "text/markdown", buffer: Buffer.from("# First\n\nBob's first note.\n") },
    ]);
    await other.locator("#document-rows tr", { hasText: "first.md" }).locator(".status.ready").waitFor();
    await other.locator("#file-input").setInputFiles([
      { name: "second.md", mimeType: "text/markdown", buffer: Buffer.from("# Second\n\nBob's second note.\n") },
    ]);
    const second = other.locator("#uploads li", { hasText: "second.md" });
    await second.locator(".state").getByText("refused").waitFor();
    assert.match(await second.textContent(), /document quota/, "the 429 names the quota");
    await other.locator("#usage").getByText("1 of 1 documents").waitFor();
    await other.screenshot({ path: join(artifacts, "dark-quota.png") });
    assert.deepEqual(otherWatch.problems, []);
    await context.close();
  });

  it("lets the admin set a forgotten password, which signs the user out", async () => {
    const context = await chrome.newContext({ viewport: DESKTOP });
    const other = await context.newPage();
    await other.goto(server.url + "/");
    await other.getByLabel("Username or email").fill(bob.username);
    await other.locator("#login-password").fill(bob.password);
    await other.locator("#login-form").getByRole("button", { name: "Log in" }).click();
    await other.locator("#who").getByText("bob").waitFor();
    assert.ok(await other.getByRole("link", { name: "Users" }).isHidden(), "a user is offered the Users view");

    await page.getByRole("link", { name: "Users" }).click();
    await page.getByRole("button", { name: "Set bob's password" }).click();
    await page.locator("#ask-dialog-input").fill("short");
    await page.locator("#ask-dialog-input").press("Enter");
    await page.locator("#toasts").getByText("at least 8 characters and at most 72 bytes").waitFor();
    await page.getByRole("button", { name: "Set bob's password" }).click();
    assert.equal(await page.locator("#ask-dialog-input").getAttribute("type"), "password");
    await page.locator("#ask-dialog-input").fill("set-by-the-admin");
    await page.locator("#ask-dialog-input").press("Enter");
    await page.locator("#toasts").getByText("bob's password is set.").waitFor();
    await shot("users");

    // Bob's session ends at his next request; the new password logs him in.
    await other.getByRole("link", { name: "Chat" }).click();
    await other.getByRole("link", { name: "Documents" }).click();
    await other.getByRole("button", { name: "Log in" }).waitFor();
    await other.getByLabel("Username or email").fill(bob.username);
    await other.locator("#login-password").fill("set-by-the-admin");
    await other.locator("#login-form").getByRole("button", { name: "Log in" }).click();
    await other.locator("#who").getByText("bob").waitFor();
    await context.close();
  });

  it("changes the user's own password only with the current one", async () => {
    await page.locator("#account").click();
    const dialog = page.locator("#account-dialog");
    await dialog.getByLabel("Current password").fill("not-my-password");
    await dialog.getByLabel(/^New password/).fill("alices-new-password");
    await dialog.getByRole("button", { name: "Change password" }).click();
    await dialog.locator(".form-error").getByText("current_password").waitFor();
    await dialog.getByLabel("Current password").fill(alice.password);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await page.locator("#toasts").getByText("Password changed").waitFor();
    await dialog.waitFor({ state: "hidden" });
    // Still signed in, with a token issued for the new password.
    await page.getByRole("link", { name: "Documents" }).click();
    await page.locator("#document-rows tr", { hasText: "guide.pdf" }).waitFor();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Username or email").fill(alice.username);
    await page.locator("#login-password").fill("alices-new-password");
    await page.locator("#login-form").getByRole("button", { name: "Log in" }).click();
    await page.locator("#who").getByText("alice").waitFor();
  });

  it("saw no CSP violation and no script error", () => {
    assert.deepEqual(watched.problems, []);
    if (process.env.DOCENT_E2E_SCREENSHOT === "1") copyFileSync(join(artifacts, "chat-source.png"), join(repo, "api/web/screenshot.png"));
  });
});
