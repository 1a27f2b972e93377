// Browser check of issue 11 point 7: the node bar's SSH button shows the `ssh` command of the
// shown node with a Copy button (a server started with MUELLE_SSH_LISTEN), or says that SSH is
// not enabled. Runs on a fake-sandbox server:
//
//   MUELLE_SSH_LISTEN=127.0.0.1:18161 MUELLE_SANDBOX=fake MUELLE_TEST_PORT=18160 ONLY=ssh bash tests/browser/run.sh
//   MUELLE_SANDBOX=fake MUELLE_TEST_PORT=18160 ONLY=ssh bash tests/browser/run.sh      (SSH off)

import { join } from "node:path";
import { BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, endStoredSessions } from "./lib.mjs";

const LISTEN = process.env.MUELLE_SSH_LISTEN || "";

export async function sshChecks(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE_URL });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  try {
    await check(LISTEN ? "the SSH button shows the node's ssh command, and Copy copies it"
                       : "the SSH button says SSH is not enabled on this server", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.template[data-template=three-nodes]");
      await page.waitForURL(/\/s\/[^/]+$/);
      await page.waitForFunction(() => document.querySelectorAll(".node-tab").length === 3);
      const id = page.url().split("/s/")[1];
      await page.click("button.ssh-toggle");
      if (!LISTEN) {
        await page.waitForSelector(".ssh-disabled");
        const text = (await page.textContent(".ssh-panel")).trim();
        expect(text.includes("SSH is not enabled on this server"), `panel: ${text}`);
        await page.screenshot({ path: join(SHOTS, "ssh-off.png") });
        return;
      }
      const port = LISTEN.split(":").pop();
      const cmd = (await page.textContent(".ssh-cmd")).trim();
      const host = new URL(BASE_URL).hostname;
      const want = new RegExp(`^ssh -p ${port} node1\\.${id}\\.[0-9a-f]{20}@${host.replace(/\./g, "\\.")}$`);
      expect(want.test(cmd), `command: ${cmd}`);
      await page.click("button.ssh-copy");
      await page.waitForSelector(".ssh-copied");
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied === cmd, `clipboard: ${copied}`);
      await page.screenshot({ path: join(SHOTS, "ssh-command.png") });
      // Another node, another command.
      await page.click("button.tab-select[data-node=node2]");
      await page.click("button.ssh-toggle");
      await page.waitForSelector(".ssh-cmd");
      const cmd2 = (await page.textContent(".ssh-cmd")).trim();
      expect(cmd2.includes(` node2.${id}.`), `node2's command: ${cmd2}`);
      // In Spanish.
      await page.click("[data-lang=es]");
      await page.waitForFunction(() => document.querySelector(".ssh-panel p")?.textContent.includes("Abre una shell en node2"));
      await page.click("[data-lang=en]");
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}
