// Browser checks of what lesson authors give students, on the browser test's own lessons
// (tests/browser/lessons, served beside the shipped ones by run.sh) and real sandboxes: the setup
// progress line and a failed setup's message, Run of a `node=all` block typing into every
// terminal, and Show solution.

import { join } from "node:path";
import {
  BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, waitForScreen, endStoredSessions,
} from "./lib.mjs";

const slot = (node) => `.term-slot[data-node=${node}]`;

export async function authoringChecks(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: "en-US" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  try {
    await check("a lesson's setup shows 'Preparing the environment…' until it is done", async () => {
      await page.goto(`${BASE_URL}/lessons/browser-features`);
      await page.waitForSelector("#step-1");
      await page.click("button.start-lesson");
      // The setup script sleeps 3 s: the button says so meanwhile.
      await page.waitForFunction(() => document.querySelector("button.start-lesson")?.textContent.trim() === "Preparing the environment…", null, { timeout: 3000 });
      await page.screenshot({ path: join(SHOTS, "lesson-setup.png") });
      await page.waitForSelector(`${slot("node1")} .dot.ready`, { timeout: TIMEOUT });
      expect((await page.locator(".setup-failed").count()) === 0, "a failure banner after a good setup");
    });

    await check("Run of a node=all block types into every node's terminal, and its check ticks", async () => {
      // node2 is the hidden tab: attached, not visible.
      await page.waitForSelector(`${slot("node2")} .dot.ready`, { timeout: TIMEOUT, state: "attached" })
        .catch((e) => { throw new Error(`node2's terminal never got ready: ${e.message}`); });
      for (const n of ["node1", "node2"]) {
        await waitForScreen(page, (t) => /[$#] ?$/m.test(t), `${n}'s prompt`, slot(n));
      }
      await page.click("#step-1 .block-run .block-btn");
      for (const n of ["node1", "node2"]) {
        await waitForScreen(page, (t) => t.includes("hostname > /tmp/who.txt"), `the command in ${n}'s terminal`, slot(n));
      }
      await page.click("#step-1 button.check");
      await page.waitForSelector("#step-1 .tick", { timeout: TIMEOUT })
        .catch(async (e) => { throw new Error(`no tick: ${(await page.textContent("#step-1")).replace(/\s+/g, " ")} (${e.message})`); });
      await page.screenshot({ path: join(SHOTS, "lesson-node-all.png") });
    });

    await check("Show solution reveals the step's commands (the check stays hidden)", async () => {
      const button = page.locator("#step-2 .show-solution");
      expect((await button.textContent()).trim() === "Show solution", "no Show solution button on step 2");
      await button.click();
      const text = await page.locator("#step-2 pre.solution").textContent();
      expect(text.includes("echo solved > /root/solved.txt"), `solution shows ${text}`);
      expect(!text.includes("test -s"), `the check is shown: ${text}`);
      await page.locator("#step-2").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, "lesson-solution.png") });
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }

  await check("a failed setup is shown above the terminals with its output, also after a reload", async () => {
    const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
    const p = await c.newPage();
    p.setDefaultTimeout(TIMEOUT);
    try {
      await p.goto(`${BASE_URL}/lessons/broken-setup`);
      await p.click("button.start-lesson");
      const banner = p.locator(".setup-failed");
      await banner.waitFor({ timeout: TIMEOUT });
      let text = await banner.textContent();
      expect(text.includes("could not be prepared") && text.includes("setup broke on purpose"), `banner: ${text}`);
      await p.screenshot({ path: join(SHOTS, "lesson-setup-failed.png") });
      await p.reload();
      await banner.waitFor({ timeout: TIMEOUT });
      text = await banner.textContent();
      expect(text.includes("setup broke on purpose"), `after a reload the banner says: ${text}`);
    } finally {
      await endStoredSessions(p).catch(() => {});
      await c.close();
    }
  });
}
