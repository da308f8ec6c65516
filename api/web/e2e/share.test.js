// share.test.js — sharing from the web page: a workspace made, uploaded
// into and shared with bob by name (bob chats inside it, carol never sees
// it), and API keys made, shown once, used and revoked in the Account
// dialog.
//
//   npm --prefix api/web/e2e test

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifacts, binary, serve, browser, watch, workdir, chained } from "./harness.js";

const DESKTOP = { width: 1280, height: 820 };
const PHONE = { width: 390, height: 844 };
const SECRET = "The Kestrel project's launch code is amber-falcon-77.";
const kestrel = Buffer.from(`# Kestrel\n\n${SECRET} It opens the hangar doors.\n`);

describe("sharing: workspaces and API keys", { timeout: 150_000 }, () => {
  let work, server, chrome, alice, watched;
  const it = chained();
  const people = {};

  // signUp registers name in a fresh browser context and returns its page.
  async function signUp(name) {
    const context = await chrome.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const w = await watch(page);
    await page.goto(server.url + "/");
    await page.getByRole("tab", { name: "Register" }).click();
    const form = page.locator("#register-form");
    await form.getByLabel("Username").fill(name);
    await form.getByLabel("Email").fill(name + "@example.com");
    await form.getByLabel(/^Password/).fill(name + "-long-password");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator("#who").getByText(name).waitFor();
    people[name] = { page, watched: w };
    return page;
  }

  before(async () => {
    work = workdir();
    server = await serve(binary(work.dir), work.dir, ["--registration", "open"]); // three users, no approvals
    chrome = await browser();
    alice = await signUp("alice");
    watched = people.alice.watched;
    await signUp("bob");
    await signUp("carol");
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    work?.remove();
  });

  it("creates a workspace and uploads into it", async () => {
    await alice.getByRole("link", { name: "Workspaces" }).click();
    await alice.locator("#workspace-rows tr", { hasText: "shared" }).waitFor();
    await alice.locator("#workspace-form").getByLabel("Name", { exact: true }).fill("Research");
    await alice.locator("#workspace-visibility").selectOption("members");
    await alice.getByRole("button", { name: "Create workspace" }).click();
    await alice.locator("#workspace-rows tr", { hasText: "Research" }).waitFor();

    await alice.getByRole("link", { name: "Documents" }).click();
    await alice.getByLabel("Upload into").selectOption({ label: "workspace Research" });
    await alice.locator("#file-input").setInputFiles([{ name: "kestrel.md", mimeType: "text/markdown", buffer: kestrel }]);
    await alice.locator("#document-rows tr", { hasText: "kestrel.md" }).locator(".status.ready").waitFor();

    await alice.getByRole("link", { name: "Workspaces" }).click();
    await alice.locator("#workspace-rows tr", { hasText: "Research" }).getByText("1", { exact: true }).waitFor();
  });

  it("shares it with bob by name", async () => {
    await alice.getByRole("button", { name: "Open Research" }).click();
    const dialog = alice.locator("#workspace-dialog");
    await dialog.getByRole("button", { name: "kestrel.md", exact: true }).waitFor();
    await dialog.getByLabel("User").fill("bob");
    await dialog.getByRole("button", { name: "Add member" }).click();
    await dialog.locator("#member-rows").getByText("bob").waitFor();
    await alice.screenshot({ path: join(artifacts, "workspace.png") });
    await alice.keyboard.press("Escape");
  });

  it("lets bob chat inside the workspace, citing its document", async () => {
    const bob = people.bob.page;
    await bob.getByRole("link", { name: "Workspaces" }).click();
    await bob.locator("#workspace-rows tr", { hasText: "Research" }).waitFor();
    await bob.getByRole("link", { name: "Chat" }).click();
    await bob.getByLabel("Answer from", { exact: true }).selectOption({ label: "Workspace Research" });
    await bob.getByLabel("Your question").fill("What is the Kestrel launch code?");
    await bob.getByRole("button", { name: "Ask" }).click();
    const answer = bob.locator(".message.assistant").last();
    await answer.getByText("amber-falcon-77").waitFor();
    await answer.locator("summary").click();
    await answer.locator(".sources").getByRole("button", { name: /kestrel\.md/ }).first().waitFor();
    // The conversation remembers its workspace.
    await bob.reload();
    await bob.locator("#who").getByText("bob").waitFor();
    await bob.getByRole("link", { name: "Chat" }).click();
    await bob.waitForFunction(() => document.getElementById("chat-scope").selectedOptions[0]?.textContent === "Workspace Research");
  });

  it("never shows carol the workspace or its document", async () => {
    const carol = people.carol.page;
    await carol.getByRole("link", { name: "Workspaces" }).click();
    await carol.locator("#workspace-rows tr", { hasText: "shared" }).waitFor();
    assert.equal(await carol.locator("#workspace-rows tr", { hasText: "Research" }).count(), 0);
    await carol.getByRole("link", { name: "Search" }).click();
    await carol.getByLabel("Search the documents").fill("Kestrel launch code");
    await carol.getByLabel("Search the documents").press("Enter");
    await carol.locator("#search-status").getByText("No passages found.").waitFor();
    assert.ok(!(await carol.content()).includes("amber-falcon"));
  });

  it("makes an API key, shows it once, and revokes it", async () => {
    await alice.locator("#account").click();
    const dialog = alice.locator("#account-dialog");
    await dialog.getByLabel("Name", { exact: true }).fill("script");
    await dialog.getByLabel("Scope").selectOption("read");
    await dialog.getByRole("button", { name: "Create key" }).click();
    const field = dialog.locator("#new-key-value");
    await field.waitFor();
    const key = await field.inputValue();
    assert.match(key, /^dk_[0-9A-Za-z]{43}$/);
    await dialog.locator("#key-rows tr", { hasText: "script" }).waitFor();
    const prefix = key.slice(0, 11);
    await dialog.locator("#key-rows").getByText(prefix + "…").waitFor();

    const call = (k) => alice.evaluate(async (k) => (await fetch("/api/v1/auth/me", { headers: { Authorization: "Bearer " + k } })).status, k);
    assert.equal(await call(key), 200);
    await alice.keyboard.press("Escape");
    await alice.locator("#account").click();
    assert.equal(await field.inputValue(), "", "the key is shown again");
    await dialog.getByRole("button", { name: "Revoke the key script" }).click();
    await alice.locator("#ask-dialog").getByRole("button", { name: "Revoke" }).click();
    await dialog.locator("#key-rows tr", { hasText: "script" }).waitFor({ state: "detached" });
    assert.equal(await call(key), 401);
    await alice.keyboard.press("Escape");
  });

  it("fits the workspaces view and dialog on a phone", async () => {
    await alice.setViewportSize(PHONE);
    await alice.getByRole("link", { name: "Workspaces" }).click();
    await alice.locator("#workspace-rows tr").first().waitFor();
    const overflow = () => alice.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok((await overflow()) <= 0, "the workspaces view scrolls sideways");
    await alice.getByRole("button", { name: "Open Research" }).click();
    assert.ok((await overflow()) <= 0, "the workspace dialog scrolls sideways");
    await alice.screenshot({ path: join(artifacts, "phone-workspace.png") });
    await alice.keyboard.press("Escape");
    await alice.setViewportSize(DESKTOP);
  });

  it("saw no CSP violation and no script error", () => {
    for (const [name, p] of Object.entries(people)) assert.deepEqual(p.watched.problems, [], name);
    assert.ok(watched);
  });
});
