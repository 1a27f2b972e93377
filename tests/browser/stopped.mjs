// Browser checks of a node whose init died (issue 7 point 5): the tab and the terminal area say
// it stopped, in the UI language, and Reset node (keyboard-reachable) brings a fresh node of the
// same name and address whose terminal works. A running node is reset from its tab after a confirm.

import { join } from "node:path";
import {
  BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, runInTerminal, endStoredSessions,
} from "./lib.mjs";

const ACTIVE = ".term-slot.active";
// The page polls the session every 3 s; the backend notices a dead init on its own.
const NOTICE_MS = 20000;

export async function stoppedNodeChecks(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  let ip = "";
  try {
    await check("kill -TERM 1 in node1: its tab and terminal say it stopped, within seconds", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.start");
      await page.waitForURL(/\/s\/[^/]+$/);
      await runInTerminal(page, "hostname", "node1", ACTIVE);
      await page.waitForFunction(() => /\d/.test(document.querySelector(".node-tab .tab-ip")?.textContent || ""));
      ip = (await page.textContent(".node-tab .tab-ip")).trim();
      expect((await page.$(".node-tab.stopped, .node-notice")) === null, "node1 shows as stopped while running");
      await page.keyboard.type("kill -TERM 1");
      const killed = Date.now();
      await page.keyboard.press("Enter");
      await page.waitForSelector(".node-tab.stopped .tab-badge", { timeout: NOTICE_MS });
      const seconds = ((Date.now() - killed) / 1000).toFixed(1);
      console.log(`       stopped shown ${seconds} s after kill -TERM 1`);
      const notice = page.locator(`${ACTIVE} .node-notice`);
      await notice.waitFor({ timeout: NOTICE_MS });
      const text = (await notice.locator("p").textContent()).trim();
      expect(text === "node1 has stopped (its init process ended). Reset it to get a fresh node with the " +
        "same name and address, or remove it.", `notice says ${text}`);
      expect((await page.textContent(".node-tab.stopped .tab-badge")).trim() === "stopped", "badge text");
      expect((await page.textContent(`${ACTIVE} .phase`)).trim() === "stopped", "status line");
      expect(!/Something went wrong/.test(await page.textContent(".playground")), "a raw error is shown");
      expect((await page.$(`${ACTIVE} button.reconnect`)) === null, "Reconnect offered for a stopped node");
      // Keyboard: the Reset button has the focus (xterm would swallow Tab).
      await page.waitForFunction(() => document.activeElement?.classList.contains("reset-node"));
      await page.screenshot({ path: join(SHOTS, "node-stopped.png") });
    });

    await check("the stopped node reads in Spanish too (detenido, Reiniciar nodo)", async () => {
      await page.click("[data-lang=es]");
      await page.waitForFunction(() => document.querySelector(".node-tab.stopped .tab-badge")?.textContent.trim() === "detenido");
      const text = (await page.textContent(`${ACTIVE} .node-notice p`)).trim();
      expect(text.startsWith("node1 se ha detenido (terminó su proceso init)."), `notice says ${text}`);
      const button = (await page.textContent(`${ACTIVE} button.reset-node`)).trim();
      expect(button === "Reiniciar nodo", `button says ${button}`);
      await page.screenshot({ path: join(SHOTS, "node-stopped-es.png") });
      await page.click("[data-lang=en]");
      await page.waitForFunction(() => document.querySelector(`.term-slot.active button.reset-node`)?.textContent.trim() === "Reset node");
    });

    await check("Reset node (by keyboard) gives a fresh node1 at the same address whose shell and docker work", async () => {
      await page.focus(`${ACTIVE} button.reset-node`);
      await page.keyboard.press("Enter");
      await page.waitForSelector(".node-notice", { state: "detached", timeout: 3 * TIMEOUT });
      expect((await page.$(".node-tab.stopped")) === null, "the tab still says stopped");
      await runInTerminal(page, "echo ok-$((40+2)) $(hostname)", "ok-42 node1", ACTIVE);
      await runInTerminal(page, "docker version --format 'server-{{.Server.Version}}'", "server-[0-9][0-9.a-z+~-]*", ACTIVE);
      const after = (await page.textContent(".node-tab .tab-ip")).trim();
      expect(after === ip, `address ${ip} became ${after}`);
      expect((await page.$(".error-banner")) === null, "an error banner is shown");
      await page.screenshot({ path: join(SHOTS, "node-reset.png") });
    });

    await check("a running node is reset from its tab only after a confirm", async () => {
      await runInTerminal(page, "touch /root/keep-me && echo marked-$((1+1))", "marked-2", ACTIVE);
      let asked = "";
      page.once("dialog", (d) => { asked = d.message(); d.dismiss(); });
      await page.click(".tab-reset[data-node=node1]");
      await page.waitForTimeout(1000);
      expect(asked.startsWith("Reset node1? Everything in it"), `confirm said ${asked}`);
      await runInTerminal(page, "test -e /root/keep-me && echo kept-$((2+2))", "kept-4", ACTIVE);
      page.once("dialog", (d) => d.accept());
      await page.click(".tab-reset[data-node=node1]");
      await page.waitForSelector(`${ACTIVE} .node-notice`, { timeout: TIMEOUT });
      await page.waitForSelector(".node-notice", { state: "detached", timeout: 3 * TIMEOUT });
      await runInTerminal(page, "test -e /root/keep-me || echo fresh-$((2+3))", "fresh-5", ACTIVE);
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}
