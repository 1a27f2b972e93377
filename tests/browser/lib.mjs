// Shared helpers of the browser checks: the check runner, terminal screen reading and typing.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BASE_URL = (process.env.BASE_URL || "http://localhost:8080").replace(/\/$/, "");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");
export const TIMEOUT = Number(process.env.CHECK_TIMEOUT_MS || 60000);

export const results = [];
export const pageErrors = [];

export async function check(name, fn) {
  try {
    await fn();
    results.push(true);
    console.log(`ok   - ${name}`);
  } catch (err) {
    results.push(false);
    const [first, ...rest] = String(err && err.message ? err.message : err).split("\n");
    console.log(`FAIL - ${name}: ${first}`);
    // A screen dump ("screen was:") follows on the next lines: its last rows say what happened.
    if (/screen was:$/.test(first)) for (const l of rest.filter((l) => l.trim()).slice(-12)) console.log(`       | ${l}`);
    for (const e of pageErrors.splice(0)) console.log(`       page: ${e}`);
  }
}

export function expect(cond, what) {
  if (!cond) throw new Error(what);
}

/** The terminal's visible text (xterm's DOM renderer), with non-breaking spaces normalised.
 *  `scope` narrows it to one terminal, e.g. ".term-slot.active". */
export async function screenText(page, scope = "") {
  return page.$$eval(`${scope} .xterm-rows > div`, (rows) =>
    rows.map((r) => r.textContent.replace(/\u00a0/g, " ").trimEnd()).join("\n"),
  );
}

export async function waitForScreen(page, pred, what, scope = "") {
  const deadline = Date.now() + TIMEOUT;
  let text = "";
  while (Date.now() < deadline) {
    text = await screenText(page, scope).catch(() => "");
    if (pred(text)) return text;
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out waiting for ${what}; screen was:\n${text}`);
}

/** Waits for the shell, then types a command into the terminal and waits for its output. */
export async function runInTerminal(page, command, expected, scope = "") {
  await page.waitForSelector(`${scope} .dot.ready`, { timeout: TIMEOUT });
  await waitForScreen(page, (t) => /[$#>%] ?$/m.test(t), "the shell prompt", scope);
  await page.click(`${scope} .terminal`);
  // The keys go where the focus is: make sure it is this terminal (not another shell's).
  await page.waitForFunction((sel) => document.querySelector(sel)?.contains(document.activeElement),
    `${scope} .terminal`, { timeout: 5000 })
    .catch(() => { throw new Error(`clicking ${scope} .terminal did not focus it`); });
  await page.keyboard.type(command);
  await page.keyboard.press("Enter");
  const outputLine = new RegExp(`^${expected}$`, "m");
  await waitForScreen(page, (t) => outputLine.test(t), `"${expected}" on the screen`, scope);
}

/** Ends every session this page's tab holds credentials for. */
export async function endStoredSessions(p) {
  // Sessions are kept per device (localStorage); older builds kept them per tab.
  await p.evaluate(() => Promise.all([localStorage, sessionStorage].flatMap((st) => Object.keys(st)
    .filter((k) => k.startsWith("muelle.session."))
    .map((k) => {
      const s = JSON.parse(st.getItem(k));
      return fetch(`/api/sessions/${s.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${s.token}` } });
    }))));
}

