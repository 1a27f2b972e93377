// Browser check of issue 11 point 7: the node bar's SSH button shows the `ssh` commands of the
// shown node (a server started with MUELLE_SSH_LISTEN): the password form (user node1.<id>, the
// password being the session token, with a button that copies the token) and the derived-key
// form, each with Copy; or says that SSH is not enabled. Runs on a fake-sandbox server:
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
    await check(LISTEN ? "the SSH button shows the password form (user, Copy token), the scp line and the key command, each copied"
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
      const host = new URL(BASE_URL).hostname;
      const token = await page.evaluate((id) => {
        for (const st of [localStorage, sessionStorage]) {
          for (const k of Object.keys(st)) {
            if (k.startsWith("muelle.session.")) {
              const s = JSON.parse(st.getItem(k));
              if (s.id === id) return s.token;
            }
          }
        }
        return null;
      }, id);
      expect(token && token.length >= 32, `stored token: ${token}`);
      // The password form: command, user, and the token's Copy button.
      const pwCmd = (await page.textContent(".ssh-pw-cmd")).trim();
      expect(pwCmd === `ssh -p ${port} node1.${id}@${host}`, `password command: ${pwCmd}`);
      const scp = (await page.textContent(".ssh-scp")).trim();
      expect(scp === `scp -P ${port} file.txt node1.${id}@${host}:`, `scp command: ${scp}`);
      const user = (await page.textContent(".ssh-user")).trim();
      expect(user === `node1.${id}`, `user: ${user}`);
      const pwText = await page.textContent(".ssh-password");
      expect(pwText.includes("the password is your session token"), `password line: ${pwText}`);
      await page.click("button.ssh-copy-token");
      await page.waitForSelector(".ssh-copied");
      let copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied === token, "Copy token copies the session token");
      await page.click("button.ssh-copy-pw-cmd");
      await page.waitForFunction((c) => navigator.clipboard.readText().then((t) => t === c), pwCmd);
      // The session JSON carries the same command.
      const session = await page.evaluate(([id, token]) =>
        fetch(`/api/sessions/${id}`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json()), [id, token]);
      expect(session.ssh === pwCmd, `session.ssh: ${session.ssh}`);
      // The derived-key form.
      const cmd = (await page.textContent(".ssh-key-cmd")).trim();
      const want = new RegExp(`^ssh -p ${port} node1\\.${id}\\.[0-9a-f]{20}@${host.replace(/\./g, "\\.")}$`);
      expect(want.test(cmd), `command: ${cmd}`);
      await page.click("button.ssh-copy-key-cmd");
      await page.waitForFunction((c) => navigator.clipboard.readText().then((t) => t === c), cmd);
      copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied === cmd, `clipboard: ${copied}`);
      await page.screenshot({ path: join(SHOTS, "ssh-command.png") });
      // Another node, another command.
      await page.click("button.tab-select[data-node=node2]");
      await page.click("button.ssh-toggle");
      await page.waitForSelector(".ssh-key-cmd");
      const cmd2 = (await page.textContent(".ssh-key-cmd")).trim();
      expect(cmd2.includes(` node2.${id}.`), `node2's command: ${cmd2}`);
      const pw2 = (await page.textContent(".ssh-pw-cmd")).trim();
      expect(pw2 === `ssh -p ${port} node2.${id}@${host}`, `node2's password command: ${pw2}`);
      // In Spanish.
      await page.click("[data-lang=es]");
      await page.waitForFunction(() => document.querySelector(".ssh-panel p")?.textContent.includes("Abre una shell en node2"));
      await page.waitForFunction(() => document.querySelector(".ssh-password")?.textContent.includes("la contraseña es el token de tu sesión"));
      await page.screenshot({ path: join(SHOTS, "ssh-command-es.png") });
      await page.click("[data-lang=en]");
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}
