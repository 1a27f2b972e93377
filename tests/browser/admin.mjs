// The admin view (/admin) in two browser contexts: the operator and a student.
//
//   ONLY=admin bash tests/browser/run.sh     (real nodes: under muelle-realtest)
//
// The credential is an instructor token from `muelle instructor token` on the server's data dir
// (MUELLE_BIN, MUELLE_DATA_DIR as run.sh sets them): the admin API takes it as it takes the admin
// token. The student's session is listed with its nodes, memory and client, ended from here
// (the student's page says so), and a drain refuses the student's next Start until it is lifted.

import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, endStoredSessions } from "./lib.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

function instructorToken() {
  const bin = process.env.MUELLE_BIN || join(root, "target/release/muelle");
  const out = execFileSync(bin, ["instructor", "token", "--url", BASE_URL], { env: process.env }).toString();
  const token = out.trim().split("\n")[0];
  expect(/^[0-9a-f]{64}$/.test(token), `instructor token is ${token}`);
  return token;
}

async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return { context, page };
}

/** The ids of the live sessions, as the admin API lists them with the page's credential. */
const liveSessions = (page) => page.evaluate(async () => {
  const r = await fetch("/api/admin/sessions", { headers: { Authorization: `Bearer ${sessionStorage.getItem("muelle.admin")}` } });
  return (await r.json()).sessions.map((s) => s.id);
});

const row = (id) => `tr.admin-row[data-session="${id}"]`;

export async function adminChecks(browser) {
  const admin = await newPage(browser);
  const student = await newPage(browser);
  const stranger = await newPage(browser);
  const a = admin.page;
  const s = student.page;
  let id = "";
  try {
    await check("admin: a wrong credential is refused and the page asks for one", async () => {
      await stranger.page.goto(`${BASE_URL}/admin#token=not-a-credential`);
      await stranger.page.waitForSelector("form.admin-credential [role=alert]");
      expect(!stranger.page.url().includes("token="), "the token stays in the address bar");
      expect(await stranger.page.isVisible("input[name=admin_token]"), "no credential field");
      expect(!(await stranger.page.isVisible("table.admin-table")), "the sessions are shown anyway");
      await stranger.page.screenshot({ path: join(SHOTS, "admin-refused.png") });
    });

    await check("admin: a student's session is listed with its nodes, memory and client address", async () => {
      await s.goto(BASE_URL + "/");
      await s.click("button.start");
      await s.waitForURL(/\/s\/[^/]+$/);
      id = new URL(s.url()).pathname.split("/").pop();
      const token = instructorToken();
      await a.goto(`${BASE_URL}/admin#token=${token}`);
      await a.waitForSelector(row(id));
      expect(!a.url().includes("token="), "the token stays in the address bar");
      expect((await a.title()) === "Admin — muelle", `title ${await a.title()}`);
      expect(await a.evaluate(() => sessionStorage.getItem("muelle.admin")) !== null, "the credential is not in sessionStorage");
      // The refresh brings the memory once the node runs.
      await a.waitForFunction((sel) => /^\d+(\.\d)? (B|KiB|MiB|GiB)$/.test(document.querySelector(`${sel} td.memory`)?.textContent.trim() || ""), row(id));
      const nodes = (await a.textContent(`${row(id)} td.nodes`)).trim();
      expect(/^1 · node1 \(running\)$/.test(nodes), `nodes cell ${nodes}`);
      expect((await a.getAttribute(`${row(id)} td.nodes`, "data-nodes")) === "1", "data-nodes");
      const client = (await a.textContent(`${row(id)} td.client`)).trim();
      expect(client === "127.0.0.1", `client ${client}`);
      const cpu = (await a.textContent(`${row(id)} td.cpu`)).trim();
      expect(/\d+(\.\d)? s$/.test(cpu), `cpu ${cpu}`);
      const label = await a.getAttribute(`${row(id)} button.end-session`, "aria-label");
      expect(label === `End session ${id}`, `End button's label ${label}`);
      const headers = await a.$$eval("table.admin-table thead th[scope=col]", (ths) => ths.map((t) => t.textContent.trim()));
      expect(headers.includes("Memory") && headers.includes("Client address") && headers.includes("Nodes"), `headers ${headers}`);
      const state = (await a.textContent(".drain-state")).trim();
      expect(state.startsWith("Accepting"), `drain state ${state}`);
      await a.screenshot({ path: join(SHOTS, "admin-list.png"), fullPage: true });
      console.log(`       ${id}: ${nodes} · ${(await a.textContent(`${row(id)} td.memory`)).trim()} · cpu ${cpu}`);
    });

    await check("admin: End (confirmed) ends the session; the student's page says it ended", async () => {
      a.once("dialog", (d) => d.accept());
      await a.click(`${row(id)} button.end-session`);
      await a.waitForSelector(row(id), { state: "detached" });
      await s.waitForSelector("section.ended h2");
      const text = (await s.textContent("section.ended h2")).trim();
      expect(text === "The session has ended.", `student sees ${text}`);
      await s.screenshot({ path: join(SHOTS, "admin-ended-student.png") });
    });

    await check("admin: drain on refuses the student's Start with the maintenance message", async () => {
      // Other sessions of the server (earlier runs, other tabs) may be live: count them.
      const before = await liveSessions(a);
      await a.click("button.drain-toggle");
      await a.waitForSelector("button.drain-toggle[aria-pressed=true]");
      const state = (await a.textContent(".drain-state")).trim();
      expect(state.startsWith("Draining"), `drain state ${state}`);
      await a.screenshot({ path: join(SHOTS, "admin-drain.png"), fullPage: true });
      await s.goto(BASE_URL + "/");
      await s.click("button.start");
      await s.waitForSelector(".error-banner");
      const msg = (await s.textContent(".error-banner")).trim();
      expect(msg.startsWith("This server is under maintenance"), `student sees ${msg}`);
      expect(!/\/s\//.test(s.url()), "a session started anyway");
      await s.screenshot({ path: join(SHOTS, "admin-drain-student.png") });
      const live = await liveSessions(a);
      expect(live.length === before.length && live.every((x) => before.includes(x)), `sessions ${before} became ${live} while draining`);
    });

    await check("admin: drain off, and the student's Start works again", async () => {
      await a.click("button.drain-toggle");
      await a.waitForSelector("button.drain-toggle[aria-pressed=false]");
      await s.goto(BASE_URL + "/");
      await s.click("button.start");
      await s.waitForURL(/\/s\/[^/]+$/);
      const again = new URL(s.url()).pathname.split("/").pop();
      await a.waitForSelector(row(again));
      await a.screenshot({ path: join(SHOTS, "admin-after.png"), fullPage: true });
    });
  } finally {
    // Never leave the server draining or a session behind for the next group.
    await a.evaluate(() => fetch("/api/admin/drain", { method: "DELETE", headers: { Authorization: `Bearer ${sessionStorage.getItem("muelle.admin")}` } })).catch(() => {});
    await endStoredSessions(s).catch(() => {});
    await admin.context.close();
    await student.context.close();
    await stranger.context.close();
  }
}
