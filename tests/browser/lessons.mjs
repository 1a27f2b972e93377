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

  await check("a <details> fold in lesson 1 is closed, opens on a click and shows its text", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "es-ES" });
    try {
      const p = await ctx.newPage();
      await p.goto(`${BASE_URL}/lessons/${LESSON}`);
      const fold = p.locator("#step-1 details.fold");
      await fold.waitFor();
      const summary = (await fold.locator("summary").textContent()).trim();
      expect(summary === "¿De qué registro la descargó?", `fold summary is ${summary}`);
      expect(!(await fold.evaluate((d) => d.open)), "the fold starts open");
      expect(!(await fold.locator("p").first().isVisible()), "the fold's text shows while closed");
      await fold.locator("summary").click();
      expect(await fold.evaluate((d) => d.open), "a click did not open the fold");
      const text = await fold.locator("p").first().textContent();
      expect(text.includes("docker pull alpine") && text.includes("catálogo"), `fold text: ${text}`);
      await fold.scrollIntoViewIfNeeded();
      await p.screenshot({ path: join(SHOTS, "lesson-fold.png") });
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
    const title = (await card.locator("h3").textContent()).trim().replace(/^\d+\. /, "");
    expect(title === "Primeros contenedores", `card title is ${title}`);
    const facts = (await card.locator(".card-facts").textContent()).replace(/\s+/g, " ");
    expect(/ES/.test(facts) && /\d+ min/.test(facts) && /1 nodo(?!s)/.test(facts), `facts: ${facts}`);
    expect(/^0\/\d+ pasos$/.test((await card.locator(".card-progress").textContent()).trim()), "progress is not 0/N pasos");
    expect((await page.locator(".card").count()) >= 3, "fewer than 3 lessons");
    // One course, in order, with what each lesson uses and where to go on.
    const course = page.locator("section.course").first();
    const heading = (await course.locator(".course-head h2").textContent()).trim();
    expect(heading === "Docker desde cero", `course heading is ${heading}`);
    const numbers = await course.locator(".card-number").allTextContents();
    expect(numbers.length >= 3 && numbers.every((n, i) => n.trim() === `${i + 1}.`), `numbers: ${numbers}`);
    const first = (await course.locator("[data-lesson]").first().getAttribute("data-lesson"));
    expect(first === LESSON, `first lesson of the course is ${first}`);
    const done = (await course.locator(".course-progress").textContent()).trim();
    expect(done === `0/${numbers.length} terminadas`, `course progress says ${done}`);
    const next = (await course.locator(".course-next a").textContent()).trim();
    expect(next === "Primeros contenedores", `continue link is ${next}`);
    const needs = (await card.locator(".card-needs").textContent()).trim();
    expect(/^Usa: .*busybox/.test(needs), `needs: ${needs}`);
    await page.screenshot({ path: join(SHOTS, "catalog.png"), fullPage: true });
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
    const bar = await page.locator("section.course .course-head .bar span").first().getAttribute("style");
    expect(/width:[1-9]\d*%/.test(bar), `course progress bar is ${bar}`);
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
