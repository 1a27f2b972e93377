// Browser checks of the node file editor (CodeMirror 6, issue 11 point 5): the start page does not
// load it; the first file opened loads /muelle-editor.js once and shows "Loading editor…" meanwhile;
// a Dockerfile is highlighted with line numbers; typing plus Ctrl+S, and the Save button, write
// the text that the files API then reads back; unsaved changes are marked and confirmed before
// they are dropped (the editor's Close, the browser's Close, the node bar's Files); binary and
// too-large files are refused with a clear note; the editor follows the light theme. Works on
// fake or real sandboxes (fixtures go to a fresh directory under /tmp).

import { rmSync } from "node:fs";
import { join } from "node:path";
import { BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, endStoredSessions } from "./lib.mjs";

const DOCKERFILE = "FROM debian:bookworm\n# a comment\nRUN apt-get update && apt-get install -y curl\nCMD [\"bash\"]\n";
const COMPOSE = "services:\n  web:\n    image: nginx:alpine\n    ports:\n      - \"8080:80\"\n";

/** Calls the files API of node1 with the page's stored session credentials. */
async function filesApi(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("muelle.session."));
    const s = JSON.parse(localStorage.getItem(key));
    const init = { method, headers: { Authorization: `Bearer ${s.token}` } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : new Uint8Array(body);
      init.headers["Content-Type"] = "application/octet-stream";
    }
    const r = await fetch(`/api/sessions/${s.id}/nodes/node1/files?path=${encodeURIComponent(path)}`, init);
    return { status: r.status, text: await r.text() };
  }, { method, path, body });
}

async function writeFile(page, path, body) {
  const r = await filesApi(page, "PUT", path, body);
  expect(r.status < 300, `PUT ${path}: ${r.status} ${r.text}`);
}

async function readFile(page, path) {
  const r = await filesApi(page, "GET", path);
  expect(r.status === 200, `GET ${path}: ${r.status} ${r.text}`);
  return r.text;
}

/** Opens entry `name` of the shown directory. */
async function openEntry(page, name) {
  await page.click(`.entries button.entry-open[data-name="${name}"]`);
}

export async function editorChecks(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  const scriptLoads = [];
  page.on("request", (r) => { if (new URL(r.url()).pathname === "/muelle-editor.js") scriptLoads.push(r.url()); });
  // The bundle is held back a little, so that "Loading editor…" can be seen.
  await page.route("**/muelle-editor.js", async (route) => { await new Promise((r) => setTimeout(r, 700)); await route.continue(); });
  const dir = `/tmp/editor-check-${Date.now()}`;
  try {
    await check("the start page and a new session do not load the editor's script", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.template[data-template=one-node]");
      await page.waitForURL(/\/s\/[^/]+$/);
      await page.waitForSelector(".node-tab");
      await writeFile(page, `${dir}/Dockerfile`, DOCKERFILE);
      await writeFile(page, `${dir}/compose.yaml`, COMPOSE);
      await writeFile(page, `${dir}/blob.bin`, [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0xff, 0xfe]);
      await writeFile(page, `${dir}/big.txt`, "x".repeat((1 << 20) + 10));
      await page.click("button.files-toggle");
      await page.waitForSelector(".files .entries");
      expect(scriptLoads.length === 0, `loaded before a file was opened: ${scriptLoads}`);
      expect((await page.$("script#muelle-editor-js")) === null, "script tag before a file was opened");
    });

    await check("opening a Dockerfile shows Loading editor…, then CodeMirror with line numbers and highlighting", async () => {
      await page.click("button.files-up");
      await page.waitForFunction(() => document.querySelector(".files-path")?.textContent === "/");
      await openEntry(page, "tmp");
      await page.waitForFunction(() => document.querySelector(".files-path")?.textContent === "/tmp");
      await openEntry(page, dir.slice("/tmp/".length));
      await page.waitForFunction((d) => document.querySelector(".files-path")?.textContent === d, dir);
      await openEntry(page, "Dockerfile");
      await page.waitForSelector(".editor-loading");
      expect((await page.textContent(".editor-loading")).trim() === "Loading editor…", "loading text");
      await page.waitForSelector(".editor .cm-content");
      expect((await page.$(".editor-loading")) === null, "loading text still shown");
      const lines = await page.$$eval(".editor .cm-line", (ls) => ls.map((l) => l.textContent));
      expect(lines.join("\n") === DOCKERFILE, `editor text: ${JSON.stringify(lines)}`);
      const numbers = await page.$$eval(".editor .cm-lineNumbers .cm-gutterElement", (es) => es.map((e) => e.textContent).filter(Boolean));
      expect(["1", "2", "3", "4", "5"].every((n) => numbers.includes(n)), `line numbers: ${numbers}`);
      const keywords = await page.$$eval(".editor .tok-keyword", (es) => es.map((e) => e.textContent.trim()));
      expect(["FROM", "RUN", "CMD"].every((k) => keywords.includes(k)), `keywords: ${keywords}`);
      const comments = await page.$$eval(".editor .tok-comment", (es) => es.map((e) => e.textContent));
      expect(comments.some((c) => c.includes("# a comment")), `comments: ${comments}`);
      expect(await page.evaluate(() => document.activeElement?.classList.contains("cm-content")), "the editor has no focus");
      await page.screenshot({ path: join(SHOTS, "editor-dockerfile.png") });
    });

    await check("typing and Ctrl+S save the text (read back through the API); the • marker comes and goes", async () => {
      expect((await page.$(".editor-dirty")) === null, "marked unsaved before any edit");
      await page.click(".editor .cm-content");
      await page.keyboard.press("Control+End");
      await page.keyboard.type("EXPOSE 8080\n");
      await page.waitForSelector(".editor-dirty");
      await page.keyboard.press("Control+S");
      await page.waitForFunction(() => document.querySelector(".files-note")?.textContent === "Saved" && !document.querySelector(".editor-dirty"));
      const saved = await readFile(page, `${dir}/Dockerfile`);
      expect(saved === DOCKERFILE + "EXPOSE 8080\n", `saved: ${JSON.stringify(saved)}`);
    });

    await check("New file and the Save button; Close asks before dropping unsaved changes", async () => {
      page.once("dialog", (d) => d.accept("notes.txt"));
      await page.click("button.files-new");
      await page.waitForFunction(() => document.querySelector(".editor-path")?.textContent.startsWith("/tmp/") &&
        document.querySelector(".editor-path").textContent.includes("notes.txt"));
      await page.waitForSelector(".editor .cm-content");
      await page.click(".editor .cm-content");
      // Enter keeps the line's indentation; Backspace deletes.
      await page.keyboard.type("hello from codemirror\n  indented\nkeptX");
      await page.keyboard.press("Backspace");
      await page.click("button.editor-save");
      await page.waitForSelector(`.entries button.entry-open[data-name="notes.txt"]`);
      await page.waitForFunction(() => !document.querySelector(".editor-dirty"));
      const NOTES = "hello from codemirror\n  indented\n  kept";
      const notes = await readFile(page, `${dir}/notes.txt`);
      expect(notes === NOTES, `notes.txt after Save: ${JSON.stringify(notes)}`);
      await page.click(".editor .cm-content");
      await page.keyboard.type(" UNSAVED");
      await page.waitForSelector(".editor-dirty");
      for (const button of ["button.files-toggle", "button.files-close", "button.editor-close"]) {
        let asked = "";
        page.once("dialog", (d) => { asked = d.message(); d.dismiss(); });
        await page.click(button);
        await page.waitForTimeout(300);
        expect(asked === `${dir}/notes.txt has unsaved changes. Discard them?`, `${button} asked: ${asked}`);
        expect((await page.$(".editor .cm-content")) !== null, `${button} closed although the question was declined`);
      }
      page.once("dialog", (d) => d.accept());
      await page.click("button.editor-close");
      await page.waitForSelector(".editor-pane", { state: "detached" });
      expect((await readFile(page, `${dir}/notes.txt`)) === NOTES, "unsaved text was written");
      expect(scriptLoads.length === 1, `the editor's script was loaded ${scriptLoads.length} times`);
    });

    await check("a binary file and a file over 1 MiB are refused with a clear note", async () => {
      await openEntry(page, "blob.bin");
      await page.waitForFunction(() => document.querySelector(".files-note")?.textContent === "Not a text file (binary): download it instead.");
      await openEntry(page, "big.txt");
      await page.waitForFunction(() => document.querySelector(".files-note")?.textContent === "Too large to edit here: download it instead.");
      expect((await page.$(".editor-pane")) === null, "an editor opened");
    });

    await check("compose.yaml is highlighted as YAML, and the editor follows the light theme", async () => {
      await openEntry(page, "compose.yaml");
      await page.waitForSelector(".editor[data-lang=yaml] .cm-content");
      const tokens = await page.$$eval(".editor [class^=tok-]", (es) => es.length);
      expect(tokens >= 4, `${tokens} highlighted tokens`);
      const dark = await page.$eval(".editor .cm-content", (e) => getComputedStyle(e.closest(".editor")).backgroundColor);
      await page.click("button.theme-toggle");
      await page.waitForFunction((d) => getComputedStyle(document.querySelector(".editor")).backgroundColor !== d, dark);
      expect(await page.$eval(".editor", (e) => getComputedStyle(e).backgroundColor) === "rgb(255, 255, 255)", "light background");
      await page.screenshot({ path: join(SHOTS, "editor-yaml-light.png") });
      await page.click("button.theme-toggle");
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
    // On a fake sandbox the node's /tmp is this machine's.
    if (process.env.MUELLE_SANDBOX === "fake") rmSync(dir, { recursive: true, force: true });
  }
}
