// Browser checks of issue 11 (templates, timer controls, sessions found again and seen ending,
// the file editor, node stats): templates listed and started, Extend moves the countdown, the
// session link works in another tab and the start page offers to resume it, End in another tab
// ends this one, a file made in the editor is what `cat` shows in the terminal, a file dropped on
// the terminal is uploaded, a file and a directory (tar) download, and the countdown warns at 5
// and 1 minute and ends the page at zero.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, runInTerminal, endStoredSessions,
} from "./lib.mjs";

const ACTIVE = ".term-slot.active";
// The page polls its session every 3 s; another tab's End is seen at once (storage event).
const ENDED_MS = 10000;

/** Seconds shown by the countdown (mm:ss). */
async function countdownSecs(page) {
  const [m, s] = (await page.textContent(".countdown-value")).trim().split(":").map(Number);
  return m * 60 + s;
}

/** The panel a page shows once its session ended: the plain sentence, a way to a new session,
 * and no terminal left. */
async function expectEndedPanel(page) {
  expect((await page.textContent(".ended h2")).trim() === "The session has ended.", "ended text");
  expect((await page.$(".ended button.start")) !== null, "no new-session button");
  expect((await page.$(".terminal")) === null, "a terminal is still shown");
}

/** A tar archive's regular files: name → text (ustar headers, 512-byte blocks). */
function tarMembers(buf) {
  const out = new Map();
  for (let at = 0; at + 512 <= buf.length;) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from, len) => header.subarray(from, from + len).toString().replace(/\0.*$/s, "");
    // POSIX ustar keeps a name prefix at 345; GNU tar's own format (magic "ustar  ") does not.
    const prefix = header.subarray(257, 263).toString() === "ustar\0" ? field(345, 155) : "";
    const name = (prefix ? prefix + "/" : "") + field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 48);
    if (type === "0") out.set(name, buf.subarray(at + 512, at + 512 + size).toString());
    else out.set(name, null);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export async function playChecks(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  let other = null;
  try {
    await check("the start page lists the templates (en and es) and Three nodes starts three", async () => {
      await page.goto(BASE_URL + "/");
      await page.waitForSelector("button.template[data-template=swarm-3m2w]");
      const names = await page.$$eval("button.template", (bs) => bs.map((b) => b.textContent.trim()));
      expect(JSON.stringify(names) === JSON.stringify(["One node", "Three nodes", "Swarm: 3 managers + 2 workers"]),
        `templates: ${names}`);
      await page.click("[data-lang=es]");
      await page.waitForFunction(() => document.querySelector("button.template")?.textContent.trim() === "Un nodo");
      await page.screenshot({ path: join(SHOTS, "play-templates-es.png") });
      await page.click("[data-lang=en]");
      await page.click("button.template[data-template=three-nodes]");
      await page.waitForURL(/\/s\/[^/]+$/);
      await page.waitForFunction(() => document.querySelectorAll(".node-tab").length === 3);
      await runInTerminal(page, "hostname", "node1", ACTIVE);
    });

    await check("Extend moves the countdown by 30 minutes", async () => {
      const before = await countdownSecs(page);
      await page.click("button.extend");
      await page.waitForFunction((b) => {
        const [m, s] = document.querySelector(".countdown-value").textContent.trim().split(":").map(Number);
        return m * 60 + s > b + 1700;
      }, before);
      const after = await countdownSecs(page);
      console.log(`       countdown ${before} s -> ${after} s`);
      expect(after - before >= 1790 && after - before <= 1805, `moved by ${after - before} s`);
    });

    await check("the node pane shows memory, CPU and disk against the limits", async () => {
      const stats = page.locator(".node-stats");
      await stats.waitFor();
      const text = (await stats.textContent()).trim();
      expect(/Memory \d+ MiB\/\d+ MiB/.test(text) && /CPU [\d.]+\/[\d.]+/.test(text) && /Disk/.test(text), `stats: ${text}`);
    });

    await check("the editor makes a file whose text `cat` shows in the terminal", async () => {
      await page.click("button.files-toggle");
      await page.waitForSelector(".files .entries");
      const name = `play-${Date.now()}.txt`;
      page.once("dialog", (d) => d.accept(name));
      await page.click("button.files-new");
      // CodeMirror (loaded with the first file opened): type into its content, Ctrl+S saves.
      const content = page.locator(".editor .cm-content");
      await content.waitFor();
      await content.click();
      await page.keyboard.type("line one\nedited-in-muelle\n");
      await page.keyboard.press("Control+S");
      await page.waitForFunction(() => document.querySelector(".files-note")?.textContent === "Saved");
      await page.waitForSelector(`.entries button.entry-open[data-name="${name}"]`);
      const numbers = await page.$$eval(".editor .cm-lineNumbers .cm-gutterElement", (es) => es.map((e) => e.textContent));
      expect(["1", "2", "3"].every((n) => numbers.includes(n)), `line numbers: ${numbers}`);
      await page.screenshot({ path: join(SHOTS, "play-editor.png") });
      await page.click(".terminal");
      await runInTerminal(page, `grep edited /root/${name} | sed 's/^/cat: /'; rm -f /root/${name}`, "cat: edited-in-muelle", ACTIVE);
      await page.click("button.files-close");
    });

    await check("a file dropped anywhere on the terminal is uploaded to /root of the node", async () => {
      const name = `dropped-${Date.now()}.txt`;
      const dt = await page.evaluateHandle((n) => {
        const dt = new DataTransfer();
        dt.items.add(new File(["dropped-content-42\n"], n, { type: "text/plain" }));
        return dt;
      }, name);
      const target = `${ACTIVE} .terminal`;
      await page.dispatchEvent(target, "dragenter", { dataTransfer: dt });
      await page.dispatchEvent(target, "dragover", { dataTransfer: dt });
      await page.waitForSelector(".playground.dragging");
      await page.dispatchEvent(target, "drop", { dataTransfer: dt });
      await page.waitForSelector(".playground:not(.dragging)");
      const note = page.locator(".upload-note:not(.sending)");
      await note.waitFor();
      const text = (await note.textContent()).trim();
      expect(text === `Uploaded to node1:/root/${name}`, `upload note says ${text}`);
      await runInTerminal(page, `cat /root/${name} | sed 's/^/got: /'; rm -f /root/${name}`, "got: dropped-content-42", ACTIVE);
    });

    await check("a file downloads as itself and the shown directory as a tar", async () => {
      const dir = `dl-${Date.now()}`;
      await runInTerminal(page, `mkdir -p /root/${dir}/sub && echo download-me-42 > /root/${dir}/note.txt && echo deep > /root/${dir}/sub/deep.txt && echo made-$((3*7))`, "made-21", ACTIVE);
      await page.click("button.files-toggle");
      await page.click(`.entries button.entry-open[data-name="${dir}"]`);
      await page.waitForFunction((d) => document.querySelector(".files-path")?.textContent === `/root/${d}`, dir);
      const [file] = await Promise.all([
        page.waitForEvent("download"),
        page.click(`.entries li:has(button.entry-open[data-name="note.txt"]) button.entry-download`),
      ]);
      const fileText = (await readFile(await file.path())).toString();
      expect(file.suggestedFilename() === "note.txt", `file saved as ${file.suggestedFilename()}`);
      expect(fileText === "download-me-42\n", `file holds ${JSON.stringify(fileText)}`);
      const [tar] = await Promise.all([page.waitForEvent("download"), page.click("button.files-download")]);
      expect(tar.suggestedFilename() === `${dir}.tar`, `directory saved as ${tar.suggestedFilename()}`);
      const members = tarMembers(await readFile(await tar.path()));
      const names = [...members.keys()].map((n) => n.replace(/^\.\//, "").replace(/\/$/, ""));
      expect(names.some((n) => n.endsWith("note.txt")) && names.some((n) => n.endsWith("sub/deep.txt")), `tar holds ${names}`);
      const note = [...members].find(([n]) => n.endsWith("note.txt"))[1];
      expect(note === "download-me-42\n", `the tar's note.txt holds ${JSON.stringify(note)}`);
      console.log(`       ${file.suggestedFilename()} (${fileText.length} B); ${tar.suggestedFilename()}: ${names.filter((n) => n).join(", ")}`);
      await page.click("button.files-close");
      await page.click(".terminal");
      await runInTerminal(page, `rm -rf /root/${dir}; echo cleaned-up`, "cleaned-up", ACTIVE);
    });

    const url = page.url();
    await check("the session link works in another tab, and the start page offers to resume it", async () => {
      other = await ctx.newPage();
      other.on("pageerror", (e) => pageErrors.push(e.message));
      await other.goto(url);
      await runInTerminal(other, "echo second-tab-$((2*3))", "second-tab-6", ACTIVE);
      await other.goto(BASE_URL + "/");
      const resume = other.locator("a.resume");
      await resume.waitFor();
      await resume.click();
      await other.waitForURL(url);
      await other.waitForSelector(".node-tab");
      await other.screenshot({ path: join(SHOTS, "play-resumed.png") });
    });

    await check("End in another tab: this tab says the session ended, and offers a new one", async () => {
      other.once("dialog", (d) => d.accept());  // "End the session?"
      await other.click("button.end");
      await other.waitForSelector(".ended h2");
      const ended = Date.now();
      await page.waitForSelector(".ended h2", { timeout: ENDED_MS });
      console.log(`       other tab saw the end after ${((Date.now() - ended) / 1000).toFixed(1)} s`);
      await expectEndedPanel(page);
      await page.screenshot({ path: join(SHOTS, "play-ended.png") });
      await page.goto(BASE_URL + "/");
      await page.waitForSelector("button.template");
      await page.waitForTimeout(500);
      expect((await page.$("a.resume")) === null, "an ended session is offered for resuming");
    });

    await check("a session deleted through the API ends its page within seconds, polls stop", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.template[data-template=one-node]");
      await page.waitForURL(/\/s\/[^/]+$/);
      await runInTerminal(page, "echo ready", "ready", ACTIVE);
      const requests = [];
      page.on("request", (r) => r.url().includes("/api/sessions/") && requests.push(Date.now()));
      await page.evaluate(() => {
        const k = Object.keys(localStorage).find((k) => k.startsWith("muelle.session."));
        const s = JSON.parse(localStorage.getItem(k));
        // Deleted behind the page's back: no storage event, only the server knows.
        return fetch(`/api/sessions/${s.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${s.token}` } });
      });
      const deleted = Date.now();
      await page.waitForSelector(".ended h2", { timeout: ENDED_MS });
      console.log(`       API delete seen after ${((Date.now() - deleted) / 1000).toFixed(1)} s`);
      const seen = Date.now();
      await page.waitForTimeout(7000);
      const after = requests.filter((t) => t > seen + 500).length;
      expect(after === 0, `${after} session requests after the page said it ended`);
    });

    // Last: the page's clock is moved (Date only; its timers keep running), which stays so for
    // this context.
    await check("the countdown warns at 5 and at 1 minute; at zero the page says the session ended and offers a new one", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.template[data-template=one-node]");
      await page.waitForURL(/\/s\/[^/]+$/);
      await runInTerminal(page, "echo timed", "timed", ACTIVE);
      expect((await page.textContent(".time-warning")).trim() === "", "a warning with an hour left");
      const deadline = Date.now() + (await countdownSecs(page)) * 1000;
      await ctx.clock.setFixedTime(deadline - 250_000);
      await page.waitForFunction(() => document.querySelector(".time-warning")?.textContent.startsWith("5 minutes left"));
      const five = await countdownSecs(page);
      expect(five > 240 && five <= 300, `countdown at ${five} s with the warning`);
      await page.screenshot({ path: join(SHOTS, "play-warn-5min.png") });
      await ctx.clock.setFixedTime(deadline - 30_000);
      await page.waitForFunction(() => document.querySelector(".time-warning")?.textContent === "1 minute left.");
      expect((await page.$(".countdown.urgent")) !== null, "the last minute is not marked urgent");
      await ctx.clock.setFixedTime(deadline + 2_000);
      await page.waitForSelector(".ended h2");
      await expectEndedPanel(page);
      await page.screenshot({ path: join(SHOTS, "play-expired.png") });
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}
