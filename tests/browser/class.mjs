// The classroom in three browser contexts: an instructor and two students.
//
// Needs the lessons tests/browser/lessons/en/92-class-demo.md and 93-class-demo2.md (the class's
// two lessons, in that order), which run.sh serves beside the shipped ones:  ONLY=class bash tests/browser/run.sh
// The instructor token comes from `muelle instructor token` on the server's data dir
// (MUELLE_BIN, MUELLE_DATA_DIR as run.sh sets them), so the command is checked too.

import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, screenText, waitForScreen, runInTerminal, endStoredSessions } from "./lib.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const LESSON = "class-demo";
const LESSON2 = "class-demo2";

function instructorToken() {
  const bin = process.env.MUELLE_BIN || join(root, "target/release/muelle");
  const out = execFileSync(bin, ["instructor", "token", "--url", BASE_URL], { env: process.env }).toString();
  const [token, link] = out.trim().split("\n");
  expect(/^[0-9a-f]{64}$/.test(token), `instructor token is ${token}`);
  expect(link === `${BASE_URL}/instructor#token=${token}`, `instructor link is ${link}`);
  return token;
}

async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return { context, page };
}

export async function classChecks(browser) {
  const teacher = await newPage(browser);
  const ana = await newPage(browser);
  const bo = await newPage(browser);
  const t = teacher.page;
  let code = "";
  let joinUrl = "";

  await check("class: the instructor link opens the dashboard and a class is created", async () => {
    const token = instructorToken();
    await t.goto(`${BASE_URL}/instructor#token=${token}`);
    await t.waitForSelector("form.new-class");
    expect(!t.url().includes("token="), "the token stays in the address bar");
    await t.fill("input[name=class_name]", "Docker 3B");
    await t.check(`input[name=lesson][value=${LESSON}]`);
    await t.check(`input[name=lesson][value=${LESSON2}]`);
    await t.fill("input[name=seats]", "2");
    await t.screenshot({ path: join(SHOTS, "class-new.png") });
    await t.click("form.new-class button[type=submit]");
    await t.waitForURL(/\/instructor\/classes\/[a-z0-9]+$/);
    await t.waitForSelector(".join-code-big");
    code = (await t.textContent(".join-code-big")).trim();
    joinUrl = await t.getAttribute("a.join-url", "href");
    expect(/^[A-Z2-9]{6}$/.test(code), `join code ${code}`);
    expect(joinUrl === `${BASE_URL}/join/${code}`, `join link ${joinUrl}`);
    await t.waitForSelector(".qr svg");
  });

  await check("class: one student joins by the link, the other by typing the code", async () => {
    await ana.page.goto(joinUrl);
    await ana.page.fill("input[name=student_name]", "Ana");
    await ana.page.click("form.join-form button[type=submit]");
    await ana.page.waitForURL(new RegExp(`/lessons/${LESSON}$`));
    await bo.page.goto(`${BASE_URL}/join`);
    await bo.page.fill("input[name=class_code]", code.toLowerCase());
    await bo.page.click("form.join-form button[type=submit]");
    await bo.page.waitForSelector("input[name=student_name]");
    await bo.page.fill("input[name=student_name]", "Bo");
    await bo.page.click("form.join-form button[type=submit]");
    await bo.page.waitForURL(new RegExp(`/lessons/${LESSON}$`));
    await t.waitForSelector("tr[data-student=Ana]");
    await t.waitForSelector("tr[data-student=Bo]");
  });

  await check("class: a passed check shows as a tick on the dashboard (latency printed)", async () => {
    // The student's page ticks the step from the server's answer (the moment the server records
    // it); the dashboard gets it over the event stream. Both are watched from here at once.
    const stamp = (p) => p.then(() => Date.now());
    const studentTick = stamp(ana.page.waitForFunction(
      () => /^1\//.test(document.querySelector(".progress-pill")?.textContent || ""), null, { timeout: 30000 }));
    const dashTick = stamp(t.waitForSelector("tr[data-student=Ana] td.tick[data-step='1']", { timeout: 30000 }));
    await runInTerminal(ana.page, "touch class-marker; echo made-$((1+1))", "made-2");
    const button = ana.page.locator("#step-1 button.check");
    if (await button.isVisible()) await button.click();
    const [ts, td] = await Promise.all([studentTick, dashTick]);
    const latency = td - ts;
    console.log(`       dashboard tick ${latency} ms after the student's page showed it`);
    expect(latency < 3000, `the tick took ${latency} ms`);
    expect((await t.$("tr[data-student=Bo] td.tick")) === null, "Bo has a tick he did not earn");
    await t.screenshot({ path: join(SHOTS, "class-dashboard.png") });
    await ana.page.screenshot({ path: join(SHOTS, "class-student.png") });
  });

  await check("class: the instructor watches a terminal read-only (keys never reach the node)", async () => {
    await t.click("tr[data-student=Ana] button.watch-btn");
    const scope = ".watch";
    await waitForScreen(t, (s) => /[$#>%] ?$/m.test(s), "a prompt in the read-only terminal", scope);
    await t.click(`${scope} .terminal`);
    await t.keyboard.type("touch typed-by-teacher; echo teacher-$((20+2))");
    await t.keyboard.press("Enter");
    await t.waitForTimeout(1500);
    const seen = await screenText(t, scope);
    expect(!/^teacher-22$/m.test(seen), "the instructor's command ran");
    await runInTerminal(ana.page, "ls typed-by-teacher 2>&1 | tail -1; echo listed-$((3+3))", "listed-6");
    expect(/No such file/.test(await screenText(ana.page)), "the instructor's keys created a file");
    await t.screenshot({ path: join(SHOTS, "class-watch.png") });
    await t.click(`${scope} button`);
  });

  await check("class: a message to everyone and one to Bo show on the students' pages", async () => {
    await t.fill("input[name=message_all]", "Break until 11:00");
    await t.click("form.message-all button[type=submit]");
    await ana.page.waitForSelector(".class-messages >> text=Break until 11:00");
    await bo.page.waitForSelector(".class-messages >> text=Break until 11:00");
    t.once("dialog", (d) => d.accept("Bo, try step 1"));
    await t.click("tr[data-student=Bo] button.msg-btn");
    await bo.page.waitForSelector(".class-messages >> text=Bo, try step 1");
    await ana.page.waitForTimeout(2500);
    expect((await ana.page.textContent(".class-messages")).indexOf("Bo, try step 1") < 0, "Ana sees Bo's message");
    await bo.page.screenshot({ path: join(SHOTS, "class-student-message.png") });
  });

  await check("class: a reload and a new tab on the same device come back to the same session", async () => {
    const key = `muelle.lesson-session.${LESSON}`;
    const before = await ana.page.evaluate((k) => sessionStorage.getItem(k), key);
    await ana.page.reload();
    await runInTerminal(ana.page, "ls class-marker && echo kept-$((4+4))", "kept-8");
    const tab = await ana.context.newPage();
    tab.setDefaultTimeout(TIMEOUT);
    await tab.goto(`${BASE_URL}/join/${code}`);
    await tab.waitForURL(new RegExp(`/lessons/${LESSON}$`));
    const after = await tab.evaluate((k) => sessionStorage.getItem(k), key);
    expect(before && before === after, `session ${before} became ${after}`);
    await runInTerminal(tab, "ls class-marker && echo same-$((5+5))", "same-10");
    await tab.close();
  });

  await check("class: two lessons: Next lesson moves the student on the same session, the dashboard ticks lesson 2", async () => {
    const a = ana.page;
    await a.waitForSelector(".class-lessons li.current");
    expect((await a.textContent(".class-lessons li.current")).includes("Class demo"), "lesson 1 is not the current one");
    expect((await a.textContent(".class-position")).trim() === "Lesson 1 of 2", await a.textContent(".class-position"));
    expect((await a.$$(".class-lessons li")).length === 2, "the class's lessons are not listed");
    await t.waitForSelector(`th.lesson-col[data-lesson=${LESSON2}]`);
    const before = await a.evaluate((k) => sessionStorage.getItem(k), `muelle.lesson-session.${LESSON}`);
    await a.screenshot({ path: join(SHOTS, "class-student-lessons.png") });
    await a.click(".class-lessons button.class-next");
    await a.waitForURL(new RegExp(`/lessons/${LESSON2}$`));
    await a.waitForSelector(".class-lessons li.current >> text=Class demo two");
    expect((await a.textContent(".class-position")).trim() === "Lesson 2 of 2", "the position did not move");
    expect((await a.$(".class-lessons button.class-next")) === null, "a Next after the last lesson");
    const after = await a.evaluate((k) => sessionStorage.getItem(k), `muelle.lesson-session.${LESSON2}`);
    expect(before && before === after, `session ${before} became ${after}`);
    // The same nodes (lesson 1's marker is there) plus the lesson's second node.
    await a.waitForSelector(".node-tabs [data-node=node2]");
    await runInTerminal(a, "ls class-marker && touch class-third; echo moved-$((6+6))", "moved-12");
    const button = a.locator("#step-1 button.check");
    if (await button.isVisible()) await button.click();
    await t.waitForSelector(`tr[data-student=Ana] td.tick[data-lesson=${LESSON2}][data-step='1']`, { timeout: 30000 });
    expect((await t.$(`tr[data-student=Ana] td.tick[data-lesson=${LESSON}][data-step='1']`)) !== null, "lesson 1's tick is gone");
    expect((await t.$(`tr[data-student=Bo] td.tick[data-lesson=${LESSON2}]`)) === null, "Bo has a lesson 2 tick");
    await t.screenshot({ path: join(SHOTS, "class-dashboard-lessons.png") });
    await a.screenshot({ path: join(SHOTS, "class-student-lesson2.png") });
    // The join link brings the student back to lesson 2 now.
    const tab = await ana.context.newPage();
    tab.setDefaultTimeout(TIMEOUT);
    await tab.goto(`${BASE_URL}/join/${code}`);
    await tab.waitForURL(new RegExp(`/lessons/${LESSON2}$`));
    await tab.close();
  });

  await check("class: Extend all reports how many sessions it extended", async () => {
    await t.click("button.extend-all");
    await t.waitForSelector(".extend-report");
    const report = (await t.textContent(".extend-report")).trim();
    expect(report === "2 sessions extended", `extend report: ${report}`);
  });

  // The students' sessions run on real nodes in the configured data dir: end them, not leave
  // them to expire an hour later.
  for (const p of [ana, bo]) await endStoredSessions(p.page).catch(() => {});
  for (const p of [teacher, ana, bo]) await p.context.close();
}
