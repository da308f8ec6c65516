// harness.js — the real docent binary and Debian's Chromium for the
// end-to-end tests.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { it as nodeIt } from "node:test";
import { chromium } from "playwright-core";

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const artifacts = join(repo, ".ci/artifacts/e2e");

/**
 * binary returns the docent binary: $DOCENT_BIN if set, else one built now
 * from the work tree (go build needs neither npm nor the network).
 */
export function binary(work) {
  if (process.env.DOCENT_BIN) return resolve(process.env.DOCENT_BIN);
  const out = join(work, "docent");
  const go = existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
  execFileSync(go, ["build", "-o", out, "./cmd/docent"], { cwd: repo, stdio: "inherit" });
  return out;
}

/**
 * serve starts `docent serve` (with extra flags) on a free port with a
 * fresh data folder and resolves once /ready answers 200, with the base
 * URL and a stop function.
 */
export async function serve(bin, work, extra = []) {
  const data = join(work, "data");
  const proc = spawn(bin, ["serve", "--data", data, "--addr", "127.0.0.1:0", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DOCENT_LOG_LEVEL: process.env.DOCENT_LOG_LEVEL || "warn" },
  });
  const log = [];
  createInterface({ input: proc.stderr }).on("line", (l) => log.push(l));
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("docent serve did not start in 30 s:\n" + log.join("\n"))), 30_000);
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const m = line.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    proc.on("exit", (code) => fail(new Error(`docent serve exited (${code}):\n` + log.join("\n"))));
  });
  for (let i = 0; ; i++) {
    const res = await fetch(url + "/ready").catch(() => null);
    if (res?.ok) break;
    if (i > 300) throw new Error("docent never became ready");
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  process.once("exit", () => proc.exitCode === null && proc.kill("SIGKILL"));
  return { url, stop, log };
}

/**
 * browser launches headless Chromium from Debian, quiet on the network:
 * Playwright gives it a fresh, throw-away profile (user data dir) each time.
 */
export function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * watch records what a page reports that a test must not see: uncaught
 * errors and Content-Security-Policy violations (as console messages and
 * as securitypolicyviolation events).
 */
export async function watch(page) {
  const problems = [];
  const console = [];
  page.on("pageerror", (err) => problems.push("uncaught: " + err.message));
  page.on("console", (msg) => {
    console.push(`${msg.type()}: ${msg.text()}`);
    if (/Content[- ]Security[- ]Policy|Refused to (execute|apply|load|connect)/i.test(msg.text())) problems.push("csp: " + msg.text());
  });
  await page.exposeFunction("__reportViolation", (v) => problems.push("csp: " + v));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__reportViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
  });
  return { problems, console };
}

/** workdir is a fresh temporary folder, removed by the returned function. */
export function workdir() {
  const dir = mkdtempSync(join(tmpdir(), "docent-e2e-"));
  mkdirSync(artifacts, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * chained returns a test function for steps that build on each other:
 * after a failing step the later ones are skipped, not run on a broken page.
 */
export function chained() {
  let broken = false;
  return (name, fn) =>
    nodeIt(name, async (t) => {
      if (broken) return t.skip("an earlier step failed");
      try {
        await fn(t);
      } catch (err) {
        broken = true;
        throw err;
      }
    });
}
