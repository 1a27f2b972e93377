// Browser checks of terminals that survive (issue 11 points 3 and 8, issue 12 point 2): a reload,
// a dropped socket and a second tab find the same shell with its screen shown once; "+" opens
// another shell on the node; Ctrl+V pastes, selecting copies, a blocked clipboard is explained;
// the font size and the light theme are remembered.

import { join } from "node:path";
import {
  BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, screenText, waitForScreen, runInTerminal,
  endStoredSessions,
} from "./lib.mjs";

const SHELL1 = ".term-slot.active .shell-pane[data-term='1']";
const SHELL2 = ".term-slot.active .shell-pane[data-term='2']";

/** Lines of the screen equal to `line`. */
const count = (text, line) => text.split("\n").filter((l) => l.trim() === line).length;

async function newPage(browser, options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", ...options });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return { ctx, page };
}

export async function terminalChecks(browser) {
  const { ctx, page } = await newPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
  try {
    await check("the clipboard hint is shown once per browser", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.start");
      await page.waitForURL(/\/s\/[^/]+$/);
      const hint = (await page.locator(".clip-hint").textContent()).trim();
      expect(/Ctrl\+Shift\+C/.test(hint) && /Ctrl\+V/.test(hint), `hint says ${hint}`);
      await runInTerminal(page, "echo first-$((1+1))", "first-2", SHELL1);
    });

    await check("reload: the same shell ($VAR and cwd kept), its earlier output shown once", async () => {
      await runInTerminal(page, "export KEPT=kept-$((6*7)); cd /tmp; echo before-reload-$((2*3))", "before-reload-6", SHELL1);
      const started = Date.now();
      await page.reload();
      const text = await waitForScreen(page, (t) => /^before-reload-6$/m.test(t), "the earlier output", SHELL1);
      const restoredMs = Date.now() - started;
      await page.waitForSelector(`${SHELL1} .dot.ready`);
      const readyMs = Date.now() - started;
      console.log(`       reload → restored screen in ${restoredMs} ms (socket ready at ${readyMs} ms)`);
      expect(count(text, "before-reload-6") === 1, `earlier output shown ${count(text, "before-reload-6")} times`);
      expect((await page.$(".clip-hint")) === null, "the clipboard hint was shown again");
      await runInTerminal(page, "echo got-$KEPT-in-$PWD", "got-kept-42-in-/tmp", SHELL1);
      await page.screenshot({ path: join(SHOTS, "terminal-after-reload.png") });
    });

    await check("a socket dropped after the shell ran reconnects on its own, with no duplicate output", async () => {
      const sockets = [];
      await page.routeWebSocket(/\/terminal\?token=/, (ws) => {
        sockets.push(ws);
        ws.connectToServer();
      });
      await page.reload();
      await runInTerminal(page, "echo before-drop-$((3+4))", "before-drop-7", SHELL1);
      const dropped = sockets.length;
      await sockets[dropped - 1].close({ code: 4000, reason: "simulated network drop" });
      const deadline = Date.now() + 15000;
      while (sockets.length === dropped && Date.now() < deadline) await page.waitForTimeout(100);
      expect(sockets.length > dropped, "no new socket after the drop");
      await runInTerminal(page, "echo after-drop-$((4+4))", "after-drop-8", SHELL1);
      const text = await screenText(page, SHELL1);
      expect(count(text, "before-drop-7") === 1, `output before the drop shown ${count(text, "before-drop-7")} times`);
      expect((await page.$(`${SHELL1} button.reconnect`)) === null, "reconnect button shown");
      await page.unrouteAll();
    });

    await check("a second tab on the same terminal sees the same output once, and may type", async () => {
      const stored = await page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)));
      const second = await ctx.newPage();
      second.setDefaultTimeout(TIMEOUT);
      await second.goto(BASE_URL + "/");
      await second.evaluate((s) => JSON.parse(s).forEach(([k, v]) => sessionStorage.setItem(k, v)), stored);
      await second.goto(page.url());
      await second.waitForSelector(`${SHELL1} .dot.ready`);
      await runInTerminal(page, "echo shared-$((5*5))", "shared-25", SHELL1);
      const there = await waitForScreen(second, (t) => /^shared-25$/m.test(t), "the first tab's output", SHELL1);
      expect(count(there, "shared-25") === 1, "shown twice in the second tab");
      await runInTerminal(second, "echo from-second-$((9*9))", "from-second-81", SHELL1);
      await waitForScreen(page, (t) => /^from-second-81$/m.test(t), "the second tab's output", SHELL1);
      await second.close();
    });

    await check("+ opens a second shell on the node, listed again after a reload", async () => {
      await page.click(".term-slot.active .shell-add");
      await runInTerminal(page, "echo in-shell-two-$((1+1))", "in-shell-two-2", SHELL2);
      await page.screenshot({ path: join(SHOTS, "terminal-shell-2.png") });
      await page.click(".term-slot.active .shell-tab[data-term='1']");
      const one = await screenText(page, SHELL1);
      expect(!/in-shell-two-2/.test(one), "shell 2's output in shell 1");
      await page.reload();
      await page.waitForSelector(".term-slot.active .shell-tab[data-term='2']");
      await page.click(".term-slot.active .shell-tab[data-term='2']");
      await waitForScreen(page, (t) => /^in-shell-two-2$/m.test(t), "shell 2's screen after the reload", SHELL2);
      await page.click(".term-slot.active .shell-tab[data-term='1']");
    });

    await check("Ctrl+V and Ctrl+Shift+V paste the clipboard (not ^V)", async () => {
      await page.click(`${SHELL1} .terminal`);
      await page.evaluate(() => navigator.clipboard.writeText("echo pasted-$((3*4))"));
      await page.keyboard.press("Control+V");
      await page.keyboard.press("Enter");
      await waitForScreen(page, (t) => /^pasted-12$/m.test(t), "the pasted command's output", SHELL1);
      await page.evaluate(() => navigator.clipboard.writeText("echo shift-pasted-$((3*5))"));
      await page.keyboard.press("Control+Shift+V");
      await page.keyboard.press("Enter");
      await waitForScreen(page, (t) => /^shift-pasted-15$/m.test(t), "the Ctrl+Shift+V paste's output", SHELL1);
    });

    await check("selecting text copies it; Ctrl+Shift+C says Copied", async () => {
      await runInTerminal(page, "echo copyme-$((7*6))", "copyme-42", SHELL1);
      await page.evaluate(() => navigator.clipboard.writeText("nothing"));
      const row = page.locator(`${SHELL1} .xterm-rows > div`, { hasText: /^copyme-42\s*$/ }).last();
      await row.dblclick({ position: { x: 20, y: 5 } });
      await page.waitForFunction(async () => (await navigator.clipboard.readText()) === "copyme-42", null, { timeout: 5000 })
        .catch(async () => { throw new Error(`clipboard holds ${await page.evaluate(() => navigator.clipboard.readText())}`); });
      await page.keyboard.press("Control+Shift+C");
      const note = (await page.locator(`${SHELL1} .clip-note`).textContent()).trim();
      expect(/^Copied/.test(note), `note says ${note}`);
    });

    await check("font size and the light theme apply at once and are remembered", async () => {
      const fontPx = () => page.$eval(`${SHELL1} .xterm-rows`, (el) => getComputedStyle(el).fontSize);
      const before = await fontPx();
      await page.click(".font-bigger");
      await page.click(".font-bigger");
      await page.waitForFunction((b) => getComputedStyle(document.querySelector(".shell-pane .xterm-rows")).fontSize !== b, before);
      const bigger = await fontPx();
      expect(parseFloat(bigger) === parseFloat(before) + 2, `font ${before} → ${bigger}`);
      await page.click(".theme-toggle");
      const bg = () => page.$eval(`${SHELL1} .xterm-viewport`, (el) => getComputedStyle(el).backgroundColor);
      await page.waitForFunction(() => document.documentElement.dataset.termTheme === "light");
      await page.waitForTimeout(300);
      expect((await bg()) === "rgb(255, 255, 255)", `light background is ${await bg()}`);
      await page.reload();
      await runInTerminal(page, "printf '\\033[31mred-%s\\033[0m\\n' light", "red-light", SHELL1);
      expect((await bg()) === "rgb(255, 255, 255)", "the light theme was not remembered");
      expect((await fontPx()) === bigger, "the font size was not remembered");
      await page.screenshot({ path: join(SHOTS, "terminal-light.png") });
      await page.click(".theme-toggle");
      await page.click(".font-smaller");
      await page.click(".font-smaller");
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }

  const blocked = await newPage(browser);
  try {
    await check("a blocked clipboard gets a plain message", async () => {
      const p = blocked.page;
      await p.goto(BASE_URL + "/");
      await p.click("button.start");
      await p.waitForURL(/\/s\/[^/]+$/);
      await runInTerminal(p, "echo ready-$((2+2))", "ready-4", SHELL1);
      await p.keyboard.press("Control+V");
      const note = p.locator(`${SHELL1} .clip-note.blocked`);
      await note.waitFor({ timeout: 10000 });
      const text = (await note.textContent()).trim();
      expect(/blocked the clipboard/.test(text), `note says ${text}`);
      await p.screenshot({ path: join(SHOTS, "terminal-clipboard-blocked.png") });
    });
  } finally {
    await endStoredSessions(blocked.page).catch(() => {});
    await blocked.ctx.close();
  }
}
