// Browser checks of the lesson catalog and the lesson player, against real sandboxes:
// lesson 1 (first-containers) in Spanish, Run, ticks, Check with hint, Skip, Next, es/en switch.

import { join } from "node:path";
import {
  BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, waitForScreen, endStoredSessions,
} from "./lib.mjs";

const LESSON = "first-containers";
const ACTIVE = ".term-slot.active";

export async function lessonChecks(browser) {
  const ctx = await browser.newContext({
    viewport: { width: 1400, height: 860 }, locale: "es-ES",
    permissions: ["clipboard-read", "clipboard-write"],
  });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  try {
    await catalog(page);
    await player(page);
    await fileBlocks(page);
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
  await langInUrl(browser);
}

async function langInUrl(browser) {
  await check("?lang=es opens a lesson in Spanish in an English browser", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
    try {
      const p = await ctx.newPage();
      await p.goto(`${BASE_URL}/lessons/${LESSON}?lang=es`);
      await p.waitForSelector("#step-1");
      const title = (await p.textContent(".lesson-title")).trim();
      expect(title === "Primeros contenedores", `lesson title is ${title}`);
      const start = (await p.textContent("button.start-lesson")).trim();
      expect(start === "Empezar", `the start button says ${start}`);
      await p.screenshot({ path: join(SHOTS, "lesson-lang-es.png") });
    } finally {
      await ctx.close();
    }
  });
}

async function catalog(page) {
  await check("the catalog lists lesson 1 in Spanish with duration, nodes and progress", async () => {
    await page.goto(BASE_URL + "/");
    await page.click("header a.nav");
    await page.waitForURL(/\/lessons$/);
    const card = page.locator(`[data-lesson=${LESSON}]`);
    await card.waitFor();
    const title = (await card.locator("h2").textContent()).trim();
    expect(title === "Primeros contenedores", `card title is ${title}`);
    const facts = (await card.locator(".card-facts").textContent()).replace(/\s+/g, " ");
    expect(/ES/.test(facts) && /\d+ min/.test(facts) && /1 nodo(?!s)/.test(facts), `facts: ${facts}`);
    expect(/^0\/\d+ pasos$/.test((await card.locator(".card-progress").textContent()).trim()), "progress is not 0/N pasos");
    expect((await page.locator(".card").count()) >= 3, "fewer than 3 lessons");
    await page.screenshot({ path: join(SHOTS, "catalog.png") });
  });
}

async function player(page) {
  await check("lesson 1 starts (Empezar) and its terminal is ready", async () => {
    await page.click(`[data-lesson=${LESSON}]`);
    await page.waitForURL(new RegExp(`/lessons/${LESSON}$`));
    await page.waitForSelector("#step-1");
    const title = (await page.textContent(".lesson-title")).trim();
    expect(title === "Primeros contenedores", `lesson title is ${title}`);
    expect(await page.isDisabled("#step-1 .block-run .block-btn"), "Run is enabled before the session");
    await page.click("button.start-lesson");
    await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
    await waitForScreen(page, (t) => /[$#] ?$/m.test(t), "the shell prompt", ACTIVE);
    const countdown = (await page.textContent(".countdown-value")).trim();
    expect(/^\d{2,}:\d{2}$/.test(countdown), `countdown shows ${countdown}`);
  });

  await check("Run types step 1's command, its output shows and the step gets its tick", async () => {
    const run = page.locator("#step-1 .block-run .block-btn").first();
    expect((await run.textContent()).trim() === "Ejecutar", "the Run button is not in Spanish");
    await run.click();
    await waitForScreen(page, (t) => /Hello from Docker!/.test(t), "hello-world's greeting", ACTIVE);
    await page.waitForSelector("#step-1 .tick", { timeout: TIMEOUT });
    await page.waitForFunction(() => /^1\//.test(document.querySelector(".progress-pill")?.textContent));
    await page.screenshot({ path: join(SHOTS, "lesson-tick.png") });
  });

  await check("Copy puts a plain block on the clipboard", async () => {
    const block = page.locator("#step-1 .block-plain").first();
    await block.locator(".block-btn").click();
    await block.locator(".block-status.ok").waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const code = (await block.locator("pre code").textContent()).trim();
    expect(copied.trim() === code, `clipboard holds ${JSON.stringify(copied)}`);
  });

  await check("Check on an unfinished step shows its hint", async () => {
    await page.click("#step-2 button.check");
    const hint = (await (await page.waitForSelector("#step-2 .hint")).textContent()).trim();
    expect(/^Todavía no\. .*busybox/.test(hint), `hint says ${hint}`);
  });

  await check("Skip (after confirming) solves a step and ticks it; Next ticks a reading step", async () => {
    const skip = page.locator(".step:not(.done) button.skip").first();
    const step = await skip.evaluate((b) => b.closest(".step").dataset.step);
    page.once("dialog", (d) => d.accept());
    await skip.click();
    await page.waitForSelector(`#step-${step} .tick`, { timeout: 5 * TIMEOUT });
    const next = page.locator(".step:not(.done) button.next").first();
    const reading = await next.evaluate((b) => b.closest(".step").dataset.step);
    await next.click();
    await page.waitForSelector(`#step-${reading} .tick`);
  });

  await check("the language switch shows the English text and keeps the ticks", async () => {
    await page.click("[data-lang=en]");
    await page.waitForFunction(() => document.querySelector(".lesson-title")?.textContent.trim() === "First containers");
    expect((await page.textContent("#step-1 .block-run .block-btn")).trim() === "Run", "Run button not in English");
    await page.waitForSelector("#step-1 .tick");
    await page.click("[data-lang=es]");
    await page.waitForFunction(() => document.querySelector(".lesson-title")?.textContent.trim() === "Primeros contenedores");
  });

  await check("a reload keeps the session and the progress; the catalog shows it", async () => {
    await page.reload();
    await page.waitForSelector("#step-1 .tick");
    await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
    await page.goto(BASE_URL + "/lessons");
    const progress = (await page.locator(`[data-lesson=${LESSON}] .card-progress`).textContent()).trim();
    expect(/^[1-9]\d*\/\d+ pasos$/.test(progress), `catalog progress is ${progress}`);
    await page.goBack();
    await page.waitForSelector("#step-1");
  });
}

async function fileBlocks(page) {
  await check("Write file puts a file block in the node (lesson 3), and Run shows it", async () => {
    await page.goto(BASE_URL + "/lessons/dockerfile-layers-cache");
    await page.click("button.start-lesson");
    await page.waitForSelector(`${ACTIVE} .dot.ready`, { timeout: TIMEOUT });
    const block = page.locator("#step-1 .block-file").first();
    const path = (await block.locator(".block-caption").textContent()).trim();
    await block.locator(".block-btn").click();
    const status = (await (await page.waitForSelector("#step-1 .block-file .block-status")).textContent()).trim();
    expect(status === `Archivo escrito: ${path}`, `status says ${status}`);
    await page.locator("#step-1 .block-run .block-btn").first().click();
    await waitForScreen(page, (t) => /^figlet "Hola, Docker"$/m.test(t), "the written file in the terminal", ACTIVE);
  });
}
