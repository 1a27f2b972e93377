// Browser checks of issue 12's points 3–8: the lesson page as a place to leave and come back to
// (pt 3), words that match the screen (pt 4), phones at 390×844 (pt 5), keyboard and assistive
// tech (pt 6), the ports view (pt 7) and the small things (pt 8). Most run on a fake-sandbox
// server too (`MUELLE_SANDBOX=fake`); those that need real nodes (the welcome text, a port seen
// within a second of `docker run -p`) are skipped there and say so.
//
//   ONLY=ux bash tests/browser/run.sh                                  (real nodes: under the lock)
//   MUELLE_SANDBOX=fake MUELLE_TEST_PORT=18155 ONLY=ux bash tests/browser/run.sh

import { join } from "node:path";
import {
  BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, screenText, waitForScreen, runInTerminal, endStoredSessions,
} from "./lib.mjs";

const REAL = process.env.MUELLE_SANDBOX !== "fake";
const LESSON = "first-containers";
const ACTIVE = ".term-slot.active";

async function newPage(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", ...opts });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return { ctx, page };
}

/** Accepts (or dismisses) the next confirm and returns a promise of its message. */
function answer(page, accept) {
  return new Promise((resolve) => page.once("dialog", (d) => {
    resolve(d.message());
    return accept ? d.accept() : d.dismiss();
  }));
}

export async function uxChecks(browser) {
  await lessonPage(browser);
  await playground(browser);
  await phones(browser);
}

// ---- pt 3 (and 6, 8 on the lesson page) ----
async function lessonPage(browser) {
  const { ctx, page } = await newPage(browser, {
    viewport: { width: 1400, height: 860 }, permissions: ["clipboard-read", "clipboard-write"],
  });
  try {
    let total = 0;
    await check("pt8: before Start, Run looks disabled and says to start the lesson first", async () => {
      await page.goto(`${BASE_URL}/lessons/${LESSON}`);
      await page.waitForSelector("#step-1");
      const run = page.locator("#step-1 .block-run .block-btn").first();
      expect(await run.isDisabled(), "Run is enabled");
      expect((await run.getAttribute("title")) === "Start the lesson first", `title ${await run.getAttribute("title")}`);
      const why = (await page.locator("#step-1 .block-run .block-why").first().textContent()).trim();
      expect(why === "Start the lesson first", `note says ${why}`);
      const opacity = Number(await run.evaluate((b) => getComputedStyle(b).opacity));
      expect(opacity < 0.6, `a disabled Run has opacity ${opacity}`);
      total = Number((await page.locator(".step").count()));
      expect(total > 3, `${total} steps`);
    });

    await check("pt8: Copy on a plain block says Copied and puts the block on the clipboard", async () => {
      const block = page.locator(".block-plain").first();
      const code = (await block.locator("pre code").textContent()).trim();
      const button = block.locator(".block-btn");
      expect((await button.textContent()).trim() === "Copy", `the button says ${await button.textContent()}`);
      await button.click();
      await page.waitForFunction((b) => b.textContent.trim() === "Copied ✓", await button.elementHandle());
      const clip = (await page.evaluate(() => navigator.clipboard.readText())).trim();
      expect(clip === code, `the clipboard holds ${JSON.stringify(clip.slice(0, 60))}`);
    });

    await check("pt6: the lesson page has its title, a main landmark and one h1", async () => {
      await page.waitForFunction(() => document.title === "First containers — muelle");
      expect((await page.locator("main").count()) === 1, "no single <main>");
      expect((await page.locator("h1").count()) === 1, "not one h1");
    });

    await check("pt3: a reading step's tick belongs to the session; leaving keeps it listed in the catalog with Resume and End", async () => {
      await page.click("button.start-lesson");
      await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
      const next = page.locator(".step:not(.done) button.next").first();
      const reading = await next.evaluate((b) => b.closest(".step").dataset.step);
      await next.click();
      await page.waitForSelector(`#step-${reading}.done .tick`);
      expect((await page.textContent(".progress-pill")).trim() === `1/${total}`, `pill ${await page.textContent(".progress-pill")}`);
      await page.reload();
      await page.waitForSelector(`#step-${reading}.done`);
      await page.click("header a.nav");
      const running = page.locator(`.card-wrap[data-lesson=${LESSON}] .card-running`);
      await running.waitFor();
      expect(/Session running/.test(await running.textContent()), `card says ${await running.textContent()}`);
      await page.screenshot({ path: join(SHOTS, "ux-catalog-running.png") });
      await running.locator("a.resume").click();
      await page.waitForURL(new RegExp(`/lessons/${LESSON}$`));
      await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
      await page.waitForSelector(`#step-${reading}.done`);
      await page.evaluate((r) => { window.__reading = r; }, reading);
    });

    await check("pt3+pt8: End session asks first; a fresh session shows 'done before' apart from its own ticks", async () => {
      const reading = await page.evaluate(() => window.__reading);
      let asked = answer(page, false);
      await page.click("button.end-lesson");
      expect((await asked).startsWith("End this session?"), "no confirm");
      await page.waitForTimeout(500);
      expect((await page.$(`${ACTIVE} .dot.ready`)) !== null, "dismissing the confirm ended the session");
      asked = answer(page, true);
      await page.click("button.end-lesson");
      await asked;
      await page.waitForSelector("button.start-lesson");
      const before = (await page.textContent(".progress-pill")).trim();
      expect(before === `1/${total} done before`, `pill after the end: ${before}`);
      await page.click("button.start-lesson");
      await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
      await page.waitForSelector(`#step-${reading}.done-before .done-before`);
      expect((await page.$(`#step-${reading} .tick`)) === null, "the new session shows the old tick as its own");
      const pill = (await page.textContent(".progress-pill")).trim();
      expect(pill === `0/${total} · 1/${total} before`, `pill in the new session: ${pill}`);
      await page.screenshot({ path: join(SHOTS, "ux-done-before.png") });
    });

    await check("pt3: Next lesson at the end links the next lesson; Reset progress forgets the ticks", async () => {
      const link = page.locator(".lesson-end a.next-lesson");
      const href = await link.getAttribute("href");
      expect(href === "/lessons/isolation-and-commit", `next lesson link ${href}`);
      const asked = answer(page, true);
      await page.click(".lesson-end button.reset-progress");
      expect((await asked).startsWith("Forget the ticks"), "no confirm");
      await page.waitForFunction(() => !document.querySelector(".step.done-before"));
      expect((await page.textContent(".progress-pill")).trim() === `0/${total}`, "pill after reset");
    });

    await check("pt3: the split between text and terminal moves with the keyboard and the mouse, and stays", async () => {
      const sep = page.locator(".splitter[role=separator]");
      const width = async () => (await page.locator(".lesson-text").boundingBox()).width;
      const w0 = await width();
      await sep.focus();
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      const w1 = await width();
      expect(w1 > w0 + 100, `text ${w0} → ${w1} px after two ArrowRight`);
      const box = await sep.boundingBox();
      await page.mouse.move(box.x + 4, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(400, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      const w2 = await width();
      expect(Math.abs(w2 - 400) < 40, `dragged to 400 px, text is ${w2}`);
      await page.reload();
      await page.waitForSelector("#step-1");
      expect(Math.abs((await width()) - w2) < 5, "the split was not kept");
      await page.screenshot({ path: join(SHOTS, "ux-split.png") });
    });

    await check("pt8: an unknown lesson URL shows one error and no Start button", async () => {
      await page.goto(`${BASE_URL}/lessons/no-such-lesson`);
      await page.waitForSelector(".error-banner");
      await page.waitForTimeout(500);
      expect((await page.locator(".error-banner").count()) === 1, `${await page.locator(".error-banner").count()} errors`);
      expect((await page.$("button.start-lesson")) === null, "a Start button is shown");
      await page.screenshot({ path: join(SHOTS, "ux-unknown-lesson.png") });
    });

    await check("pt4: the Spanish lesson names buttons as the Spanish UI labels them (lint checks every lesson)", async () => {
      await page.goto(`${BASE_URL}/lessons/${LESSON}?lang=es`);
      await page.waitForSelector("#step-1");
      const text = await page.textContent(".lesson-text");
      const run = (await page.textContent("#step-1 .block-run .block-btn")).trim();
      expect(run === "Ejecutar" && /Ejecutar/.test(text) && !/\bRun\b/.test(text.replace(/docker (container )?run/g, "")),
        "the Spanish text names **Run**");
      await page.click("[data-lang=en]");
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}

// ---- pt 4, 6, 7, 8 on the playground ----
async function playground(browser) {
  const { ctx, page } = await newPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
  try {
    await check("pt6: the playground has a main landmark, an h1, and 'node1 — muelle' as its title", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.start");
      await page.waitForURL(/\/s\/[^/]+$/);
      await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
      await page.waitForFunction(() => document.title === "node1 — muelle");
      expect((await page.locator("main").count()) === 1, "no single <main>");
      expect((await page.locator("h1").count()) === 1, "not one h1");
    });

    await check("pt6: tabs are role=tab linked to role=tabpanel; only tabs are in the tab list", async () => {
      const tabs = await page.$$eval("[role=tab][aria-controls^=panel-]", (ts) => ts.map((t) => {
        const panel = document.getElementById(t.getAttribute("aria-controls"));
        return panel && panel.getAttribute("role") === "tabpanel" && panel.getAttribute("aria-labelledby") === t.id;
      }));
      expect(tabs.length === 1 && tabs.every(Boolean), `tabs linked: ${JSON.stringify(tabs)}`);
      const strays = await page.$$eval("[role=tablist] button:not([role=tab]), [role=tablist] input, [role=tablist] a", (e) => e.length);
      expect(strays === 0, `${strays} controls inside the tab list`);
      for (const c of [".add-node", ".tab-reset", ".upload-btn", ".ports"]) {
        expect((await page.$(`[role=tablist] ${c}`)) === null, `${c} is in the tab list`);
      }
    });

    await check("pt6: Esc then Tab leaves the terminal (the hint says so); Tab reaches Upload", async () => {
      const hint = (await page.textContent(".term-hint")).trim();
      expect(hint === "Esc then Tab leaves the terminal", `hint: ${hint}`);
      await page.click(`${ACTIVE} .terminal`);
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.classList.contains("xterm-helper-textarea")), "Tab alone left the terminal");
      await page.keyboard.press("Escape");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.id) === "tab-node1", "Esc, Tab did not reach node1's tab");
      let reached = false;
      for (let i = 0; i < 12 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await page.evaluate(() => document.activeElement?.classList.contains("upload-input"));
      }
      expect(reached, "Tab never reached the upload input");
      await page.screenshot({ path: join(SHOTS, "ux-upload-focus.png") });
      // The Esc that left never reached the shell: the next command's first key is not eaten
      // as Meta+key (bash read "echo" as M-e "cho" when it did).
      await runInTerminal(page, "echo after-leaving-$((2+3))", "after-leaving-5", ACTIVE);
    });

    await check("pt8: an upload shows its progress (percent and a bar) until the node has the file", async () => {
      const name = `big-${Date.now()}.bin`;
      const size = 24 << 20;
      // Slow the upload (8 MiB/s) so that the progress is seen on loopback.
      const cdp = await ctx.newCDPSession(page);
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 << 20,
      });
      const seen = [];
      try {
        await page.setInputFiles("input.upload-input", { name, mimeType: "application/octet-stream", buffer: Buffer.alloc(size, 7) });
        const deadline = Date.now() + 30000;
        while (Date.now() < deadline) {
          const note = await page.$(".upload-note.sending");
          if (note) {
            // Text and bar read at one moment (the note is re-rendered as bytes go).
            const [text, bar] = await note.evaluate((n) => [n.textContent.trim(), Number(n.querySelector("progress")?.value)])
              .catch(() => ["", null]);
            const m = text.match(/^Uploading .*: (\d+)%$/);
            if (m) seen.push([Number(m[1]), bar]);
          } else if (await page.$(".upload-note.ok")) break;
          await page.waitForTimeout(100);
        }
      } finally {
        await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      }
      const note = (await page.textContent(".upload-note")).trim();
      expect(note === `Uploaded to node1:/root/${name}`, `the note says ${note}`);
      const between = seen.filter(([pct]) => pct > 0 && pct < 100);
      expect(between.length >= 2, `progress seen: ${JSON.stringify(seen)}`);
      expect(between.every(([pct, bar]) => bar === pct), `the bar differs from the percent: ${JSON.stringify(between)}`);
      console.log(`       progress shown ${between.length} times (${between.map(([p]) => p).join("% ")}%)`);
      await runInTerminal(page, `stat -c size-%s /root/${name}`, `size-${size}`, ACTIVE);
    });

    if (REAL) {
      await check("pt4: the node's welcome text follows the UI language", async () => {
        await waitForScreen(page, (t) => /Try: docker run hello-world/.test(t), "the English welcome", ACTIVE);
        // Shells outlive the page, so the welcome language shows in a new shell: "+" in Spanish.
        const shell2 = `${ACTIVE} .shell-pane[data-term='2']`;
        await page.click("[data-lang=es]");
        try {
          await page.click(`${ACTIVE} .shell-add`);
          await waitForScreen(page, (t) => /Prueba: docker run hello-world/.test(t), "the Spanish welcome", shell2);
          expect(!/Try: docker run/.test(await screenText(page, shell2)), "the English welcome too");
          // Back to the first shell, whose pane the later checks type into.
          await page.click(`${ACTIVE} .shell-tab[data-term='1']`);
        } finally {
          await page.click("[data-lang=en]");
        }
      });
      await check("pt9: free and top in a node show the node's 2 GiB, not the host's memory (lxcfs)", async () => {
        // The node's first shell (pt4 opened a second one).
        const SHELL1 = `${ACTIVE} .shell-pane[data-term='1']`;
        await runInTerminal(page, "free -m | awk '/^Mem:/ {print \"mem-total-\" $2}'", "mem-total-\\d+", SHELL1);
        const total = Number((await screenText(page, ACTIVE)).match(/^mem-total-(\d+)$/m)[1]);
        expect(total >= 1900 && total <= 2048, `free -m says ${total} MiB`);
        await runInTerminal(page, "grep -c ^processor /proc/cpuinfo | sed 's/^/cpus-/'", "cpus-\\d+", SHELL1);
        const cpus = Number((await screenText(page, ACTIVE)).match(/^cpus-(\d+)$/m)[1]);
        expect(cpus === 1, `cpuinfo lists ${cpus} CPUs`);
        await runInTerminal(page, "clear; top -bn1 | head -4 | grep -o 'MiB Mem : *[0-9.]* total'", "MiB Mem : *2048.0 total", SHELL1);
        await page.screenshot({ path: join(SHOTS, "ux-free.png") });
      });
    } else {
      console.log("       (fake sandboxes: the welcome text and lxcfs need real nodes)");
    }

    await check("pt8: Remove asks first; the selected tab survives a reload; a second tab sees the nodes the first adds", async () => {
      const id = page.url().split("/s/")[1];
      const stored = await page.evaluate(() => JSON.stringify(Object.assign({}, sessionStorage)));
      const second = await ctx.newPage();
      await second.addInitScript((s) => {
        for (const [k, v] of Object.entries(JSON.parse(s))) if (!sessionStorage.getItem(k)) sessionStorage.setItem(k, v);
      }, stored);
      await second.goto(`${BASE_URL}/s/${id}`);
      await second.waitForSelector(".tab-select[data-node=node1]");
      await page.click("button.add-node");
      await page.waitForSelector(".node-tab.active .tab-select[data-node=node2]", { timeout: TIMEOUT });
      const t0 = Date.now();
      await second.waitForSelector(".tab-select[data-node=node2]", { timeout: 10000 });
      console.log(`       the second tab saw node2 after ${Date.now() - t0} ms`);
      await second.close();
      await page.reload();
      await page.waitForSelector(".node-tab.active .tab-select[data-node=node2]");
      expect(await page.evaluate(() => document.title) === "node2 — muelle", "title after reload");
      let asked = answer(page, false);
      await page.click(".tab-remove[data-node=node2]");
      expect((await asked).startsWith("Remove node2?"), "no confirm");
      await page.waitForTimeout(500);
      expect((await page.locator(".node-tab").count()) === 2, "dismissing removed the node");
    });

    await check("pt7: the ports view lists every node's ports with the node's name", async () => {
      const label = await page.getAttribute(".ports", "aria-label");
      expect(label === "Ports of every node", `ports label ${label}`);
      if (!REAL) {
        console.log("       (fake sandboxes: ports need real nodes)");
        return;
      }
      await page.click(".tab-select[data-node=node1]");
      await runInTerminal(page, "docker run -d -p 8081:80 busybox httpd -f -p 80 >/dev/null && echo up-$((8000+81))", "up-8081", ACTIVE);
      const t0 = Date.now();
      await page.waitForSelector('.node-ports[data-node=node1] a.port[data-port="8081"]', { timeout: 10000 });
      const seen = Date.now() - t0;
      console.log(`       port 8081 shown ${seen} ms after docker run returned`);
      expect(seen < 2000, `port shown after ${seen} ms`);
      await page.click(".tab-select[data-node=node2]");
      await runInTerminal(page, "docker run -d -p 8082:80 busybox httpd -f -p 80 >/dev/null && echo up-$((8000+82))", "up-8082", ACTIVE);
      await page.waitForSelector('.node-ports[data-node=node2] a.port[data-port="8082"]', { timeout: 10000 });
      await page.evaluate(() => { window.__portLink = document.querySelector('a.port[data-port="8081"]').href; });
      const listed = await page.$$eval(".ports .node-ports", (ns) => ns.map((n) =>
        `${n.querySelector(".node-ports-name").textContent}:${[...n.querySelectorAll("a.port")].map((a) => a.dataset.port).join(",")}`));
      expect(listed.join(" ") === "node1:8081 node2:8082", `ports listed: ${listed.join(" ")}`);
      await page.screenshot({ path: join(SHOTS, "ux-ports.png") });
    });

    await check("pt8: + Add node at 5 nodes is disabled and says why", async () => {
      for (let n = (await page.locator(".node-tab").count()); n < 5; n++) {
        await page.click("button.add-node");
        await page.waitForFunction((k) => document.querySelectorAll(".node-tab").length === k, n + 1, { timeout: TIMEOUT });
      }
      const add = page.locator("button.add-node");
      await page.waitForFunction(() => document.querySelector("button.add-node")?.disabled);
      expect((await add.getAttribute("title")) === "A session has at most 5 nodes", "no reason on the button");
      expect((await page.textContent(".add-node-why")).trim() === "A session has at most 5 nodes", "no visible reason");
      await page.screenshot({ path: join(SHOTS, "ux-five-nodes.png") });
    });

    await check("pt8: End session asks first; pt7: a dead port link is a readable page", async () => {
      let asked = answer(page, false);
      await page.click("button.end");
      expect((await asked).startsWith("End this session?"), "no confirm");
      await page.waitForTimeout(300);
      expect((await page.$(".ended")) === null, "dismissing ended the session");
      asked = answer(page, true);
      await page.click("button.end");
      await asked;
      await page.waitForSelector(".ended h2");
      const link = await page.evaluate(() => window.__portLink);
      if (link) {
        const tab = await ctx.newPage();
        const resp = await tab.goto(link);
        const type = resp.headers()["content-type"] || "";
        const body = await tab.textContent("body");
        expect(type.startsWith("text/html") && /Session ended/.test(body) && !/SESSION_NOT_FOUND/.test(body),
          `dead link answered ${resp.status()} ${type}: ${body.slice(0, 120)}`);
        await tab.screenshot({ path: join(SHOTS, "ux-dead-port.png") });
        await tab.close();
      }
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}

// ---- pt 5: phones ----
async function phones(browser) {
  const { ctx, page } = await newPage(browser, {
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  });
  try {
    await check("pt5: at 390×844 the playground's language switch is usable", async () => {
      await page.goto(BASE_URL + "/");
      await page.click("button.start");
      await page.waitForURL(/\/s\/[^/]+$/);
      await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
      const widths = await page.$$eval(".topbar .lang", (bs) => bs.map((b) => b.getBoundingClientRect().width));
      expect(widths.length === 2 && widths.every((w) => w >= 28), `language buttons ${widths.join(", ")} px wide`);
      await page.tap("[data-lang=es]");
      await page.waitForFunction(() => document.documentElement.lang === "es");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow <= 0, `the page is ${overflow} px wider than the phone`);
      await page.screenshot({ path: join(SHOTS, "ux-phone-playground.png") });
      await page.tap("[data-lang=en]");
      await endStoredSessions(page);
    });

    await check("pt5: at 390×844 the lesson page shows title and Lessons link, and text and terminal as tabs", async () => {
      await page.goto(`${BASE_URL}/lessons/${LESSON}`);
      await page.waitForSelector("#step-1");
      for (const sel of [".lesson-name", "header a.nav", ".pane-tabs [role=tab]"]) {
        expect(await page.locator(sel).first().isVisible(), `${sel} is hidden`);
      }
      const name = await page.locator(".lesson-name").boundingBox();
      expect(name.width > 150, `the title is ${name.width} px wide`);
      await page.screenshot({ path: join(SHOTS, "ux-phone-lesson-text.png") });
      await page.tap("button.pane-start");
      await page.waitForSelector("#pane-tab-term[aria-selected=true]");
      await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
      expect(!(await page.locator("#lesson-text").isVisible()), "the text is shown with the terminal");
      const term = await page.locator(`${ACTIVE} .terminal`).first().boundingBox();
      expect(term.width >= 370 && term.height >= 400, `terminal box ${term.width}×${term.height}`);
      await runInTerminal(page, "stty size | sed 's/^/size /'", "size \\d+ \\d+", ACTIVE);
      const cols = Number((await screenText(page, ACTIVE)).match(/^size \d+ (\d+)$/m)[1]);
      expect(cols >= 42, `the terminal has ${cols} columns`);
      console.log(`       phone terminal: ${cols} columns`);
      await page.screenshot({ path: join(SHOTS, "ux-phone-lesson-terminal.png") });
      await page.tap("#pane-tab-text");
      await page.locator("#step-1 .block-run .block-btn").first().tap();
      await page.waitForSelector("#pane-tab-term[aria-selected=true]");
    });

    await check("pt5: no text says which side the terminal is on", async () => {
      for (const lang of ["en", "es"]) {
        await page.goto(`${BASE_URL}/lessons?lang=${lang}`);
        await page.waitForSelector(".card");
        const text = await page.textContent("main");
        expect(!/on the (left|right)|a la (izquierda|derecha)/i.test(text), `${lang} catalog: ${text.slice(0, 160)}`);
      }
      await page.goto(`${BASE_URL}/lessons?lang=en`);
    });
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}
