// muelle's browser test: drives the real front end in headless Chromium against a running backend.
//
//   BASE_URL=http://localhost:8080 node run.mjs
//
// Prints one line per check and a final "N passed, M failed"; exits non-zero on any failure.
// Screenshots go to ./screenshots/. Uses the system Chromium; playwright-core never downloads one.

import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import {
  BASE_URL, CHROMIUM, SHOTS, TIMEOUT, results, pageErrors, check, expect, screenText, waitForScreen,
  runInTerminal, endStoredSessions,
} from "./lib.mjs";
import { lessonChecks } from "./lessons.mjs";
import { playgroundChecks } from "./playground.mjs";
import { stoppedNodeChecks } from "./stopped.mjs";
import { authoringChecks } from "./authoring.mjs";
import { uxChecks } from "./ux.mjs";
import { terminalChecks } from "./terminals.mjs";
import { classChecks } from "./class.mjs";
import { playChecks } from "./play.mjs";
import { adminChecks } from "./admin.mjs";
import { sshChecks } from "./ssh.mjs";
import { editorChecks } from "./editor.mjs";

// ONLY=stopped (or lessons, playground, authoring, ux, terminals, class, play, admin, ssh, editor) runs just that group, for iterating on it.
const GROUPS = { lessons: lessonChecks, playground: playgroundChecks, stopped: stoppedNodeChecks, authoring: authoringChecks };
GROUPS.ux = uxChecks;
GROUPS.terminals = terminalChecks;
GROUPS.class = classChecks;
GROUPS.play = playChecks;
GROUPS.admin = adminChecks;
GROUPS.ssh = sshChecks;
GROUPS.editor = editorChecks;

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic",
    ],
  });
  // A fresh context is a fresh, temporary profile: no stored language or session.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  // Every document records the Content-Security-Policy violations it sees.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  if (process.env.ONLY) {
    const group = GROUPS[process.env.ONLY];
    if (!group) throw new Error(`ONLY=${process.env.ONLY}: not one of ${Object.keys(GROUPS).join(", ")}`);
    await group(browser);
    return finish(browser);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));

  await check("the app is served with its security headers (CSP with wasm, DENY, nosniff)", async () => {
    const resp = await page.goto(BASE_URL + "/");
    const h = resp.headers();
    const csp = h["content-security-policy"] || "";
    expect(csp.includes("'wasm-unsafe-eval'") && csp.includes("frame-ancestors 'none'"), `CSP: ${csp}`);
    expect(h["x-frame-options"] === "DENY", `X-Frame-Options: ${h["x-frame-options"]}`);
    expect(h["x-content-type-options"] === "nosniff", `X-Content-Type-Options: ${h["x-content-type-options"]}`);
    expect(h["referrer-policy"] === "same-origin", `Referrer-Policy: ${h["referrer-policy"]}`);
  });

  await check("start page shows muelle and a Start button", async () => {
    await page.goto(BASE_URL + "/");
    const start = page.locator("button.start");
    await start.waitFor();
    expect((await page.textContent("h1")).trim() === "muelle", "title is not muelle");
    expect((await start.textContent()).trim() === "Start", `button says ${await start.textContent()}`);
    await page.screenshot({ path: join(SHOTS, "start.png") });
  });

  await check("language switch changes the start page text (es/en)", async () => {
    await page.click("[data-lang=es]");
    await page.waitForFunction(() => document.querySelector("button.start")?.textContent.trim() === "Empezar");
    expect((await page.getAttribute("html", "lang")) === "es", "html lang is not es");
    await page.reload();
    await page.waitForFunction(() => document.querySelector("button.start")?.textContent.trim() === "Empezar");
    await page.screenshot({ path: join(SHOTS, "start-es.png") });
    await page.click("[data-lang=en]");
    await page.waitForFunction(() => document.querySelector("button.start")?.textContent.trim() === "Start");
  });

  await check("Start opens a session whose terminal runs echo muelle-$((40+2))", async () => {
    await page.click("button.start");
    await page.waitForURL(/\/s\/[^/]+$/);
    await runInTerminal(page, "echo muelle-$((40+2))", "muelle-42");
    const countdown = (await page.textContent(".countdown-value")).trim();
    expect(/^\d{2,}:\d{2}$/.test(countdown), `countdown shows ${countdown}`);
    await page.screenshot({ path: join(SHOTS, "terminal.png") });
  });

  await check("the start page and a terminal run without a Content-Security-Policy violation", async () => {
    const seen = await page.evaluate(() => window.__cspViolations);
    expect(seen.length === 0, `violations: ${seen.join(", ")}`);
  });

  await check("colours, Ctrl-C, paste and a resize reach the shell", async () => {
    await runInTerminal(page, "printf '\\033[31mred-%s\\033[0m\\n' text", "red-text");
    const red = await page.$$eval(".xterm-rows span", (spans) =>
      spans.some((s) => s.textContent === "red-text" && /xterm-fg-1\b/.test(s.className)));
    expect(red, "red-text is not rendered in ANSI red");
    await page.keyboard.type("sleep 300");
    await page.keyboard.press("Enter");
    await page.waitForTimeout(300);
    await page.keyboard.press("Control+C");
    await runInTerminal(page, "echo after-$((6*7))", "after-42");
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData("text/plain", "echo pasted-$((5+5))");
      const paste = new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true });
      document.querySelector(".xterm-helper-textarea").dispatchEvent(paste);
    });
    await page.keyboard.press("Enter");
    await waitForScreen(page, (t) => /^pasted-10$/m.test(t), "the pasted command's output");
    const sizeOf = async (tag) => {
      await runInTerminal(page, `stty size | sed 's/^/${tag} /'`, `${tag} \\d+ \\d+`);
      return (await screenText(page)).match(new RegExp(`^${tag} (\\d+ \\d+)$`, "m"))[1];
    };
    const before = await sizeOf("size-a");
    await page.setViewportSize({ width: 900, height: 600 });
    await page.waitForTimeout(500);
    const after = await sizeOf("size-b");
    expect(before !== after, `stty size stayed ${before} after the window shrank`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check("full-screen programs work: top, then vi writes a file", async () => {
    await page.keyboard.type("top");
    await page.keyboard.press("Enter");
    await waitForScreen(page, (t) => /load average/i.test(t), "top's header");
    await page.keyboard.press("q");
    const file = `/tmp/muelle-vi-${Date.now()}`;
    await page.keyboard.type(`vi ${file}`);
    await page.keyboard.press("Enter");
    await waitForScreen(page, (t) => /^~/m.test(t), "vi's empty buffer");
    await page.keyboard.type("ihello-from-vi");
    await page.keyboard.press("Escape");
    await page.keyboard.type(":wq");
    await page.keyboard.press("Enter");
    await runInTerminal(page, `sed 's/^/file: /' ${file}; rm -f ${file}`, "file: hello-from-vi");
  });

  await check("1.3 MB of output flows past the server's 1 MiB window (acks work)", async () => {
    await runInTerminal(page, "seq 1 200000; echo done-$((1+1))", "done-2");
  });

  await check("reloading the page reconnects to the same session", async () => {
    const url = page.url();
    await page.reload();
    expect(page.url() === url, "URL changed on reload");
    await runInTerminal(page, "echo again-$((1+1))", "again-2");
  });

  await check("a terminal socket that closes before ready is retried on its own", async () => {
    let attempts = 0;
    await page.routeWebSocket(/\/terminal\?token=/, (ws) => {
      attempts += 1;
      if (attempts === 1) ws.close({ code: 1011, reason: "simulated failure" });
      else ws.connectToServer();
    });
    await page.reload();
    await runInTerminal(page, "echo retried-$((3*3))", "retried-9");
    expect(attempts === 2, `${attempts} socket attempts, expected 2`);
    expect((await page.$("button.reconnect")) === null, "reconnect button shown");
    await page.unrouteAll();
  });

  await check("exit shows the exit code and Reconnect opens a new shell", async () => {
    await page.click(".terminal");
    await page.keyboard.type("exit 3");
    await page.keyboard.press("Enter");
    const button = await page.waitForSelector("button.reconnect");
    const phase = (await page.textContent(".phase")).trim();
    expect(phase === "The shell exited with code 3", `status says ${phase}`);
    await page.screenshot({ path: join(SHOTS, "exited.png") });
    await button.click();
    await runInTerminal(page, "echo back-$((2+2))", "back-4");
  });

  await check("End session shows the ended panel", async () => {
    page.once("dialog", (d) => d.accept());
    await page.click("button.end");
    await page.waitForSelector(".ended h2");
    expect((await page.$(".terminal")) === null, "terminal still shown");
    await page.screenshot({ path: join(SHOTS, "ended.png") });
  });

  await check("a 503 OUT_OF_CAPACITY is explained, not swallowed", async () => {
    await page.route("**/api/sessions", (route) =>
      route.request().method() === "POST"
        ? route.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify({ code: "OUT_OF_CAPACITY", message: "no free nodes" }),
          })
        : route.continue());
    await page.goto(BASE_URL + "/");
    await page.click("button.start");
    const banner = await page.waitForSelector(".error-banner");
    const text = (await banner.textContent()).trim();
    expect(text === "Out of capacity, try again in a few minutes.", `banner says ${text}`);
    await page.screenshot({ path: join(SHOTS, "out-of-capacity.png") });
    await page.unroute("**/api/sessions");
  });

  await check("a server that asks for a join code gets a field, and Start sends the code", async () => {
    let sent = null;
    await page.route("**/api/config", (route) =>
      route.fulfill({ status: 200, contentType: "application/json", body: '{"join_code_required":true}' }));
    await page.route("**/api/sessions", (route) => {
      if (route.request().method() !== "POST") return route.continue();
      sent = { body: route.request().postDataJSON(), type: route.request().headers()["content-type"] };
      return route.fulfill({
        status: 403,
        contentType: "application/json",
        body: JSON.stringify({ code: "JOIN_CODE_REQUIRED", message: "this class needs a join code: ask your teacher for it" }),
      });
    });
    await page.goto(BASE_URL + "/");
    const field = page.locator(".join-code input");
    await field.waitFor();
    await field.fill("clase-3b");
    await page.click("button.start");
    const banner = await page.waitForSelector(".error-banner");
    expect(sent && sent.body.join_code === "clase-3b", `POST body ${JSON.stringify(sent)}`);
    expect(sent.type.startsWith("application/json"), `content type ${sent.type}`);
    expect((await banner.textContent()).includes("join code"), `banner says ${await banner.textContent()}`);
    await page.screenshot({ path: join(SHOTS, "join-code.png") });
    await page.unroute("**/api/sessions");
    await page.unroute("**/api/config");
    await page.evaluate(() => localStorage.removeItem("muelle.join-code"));
  });

  await check("the countdown reaching 00:00 ends the session page", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "es-ES" });
    try {
      await ctx.clock.install();
      const p = await ctx.newPage();
      await p.goto(BASE_URL + "/");
      await p.waitForFunction(() => document.querySelector("button.start")?.textContent.trim() === "Empezar");
      await p.click("button.start");
      await p.waitForSelector(".dot.ready", { timeout: TIMEOUT });
      await p.clock.fastForward("02:00:00");
      await p.waitForSelector(".ended h2", { timeout: TIMEOUT });
      const text = (await p.textContent(".ended h2")).trim();
      expect(text === "La sesión terminó.", `ended panel says ${text}`);
      await p.screenshot({ path: join(SHOTS, "ended-es.png") });
      // The server would expire it an hour later; free the shell now.
      await endStoredSessions(p);
    } finally {
      await ctx.close();
    }
  });

  await check("the built front end is under 600 KB gzipped", async () => {
    const dist = join(dirname(fileURLToPath(import.meta.url)), "../../frontend/dist");
    const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
    const total = readdirSync(dist).reduce((sum, f) => sum + gz(f), 0);
    // The file editor's bundle counts too, though only the first file opened loads it.
    const editor = gz("muelle-editor.js");
    console.log(`       frontend/dist: ${(total / 1024).toFixed(0)} KB gzipped (file editor ${(editor / 1024).toFixed(0)} KB of it, loaded lazily)`);
    expect(total < 600 * 1024, `${total} bytes gzipped`);
  });

  await lessonChecks(browser);
  await playgroundChecks(browser);
  await stoppedNodeChecks(browser);
  await authoringChecks(browser);
  await uxChecks(browser);
  await terminalChecks(browser);
  await classChecks(browser);
  await playChecks(browser);
  await adminChecks(browser);
  await sshChecks(browser);
  await editorChecks(browser);
  await finish(browser);
}

async function finish(browser) {
  await browser.close();
  const passed = results.filter(Boolean).length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  console.log(`FAIL - harness: ${err.message}`);
  console.log(`0 passed, 1 failed`);
  process.exit(1);
});
