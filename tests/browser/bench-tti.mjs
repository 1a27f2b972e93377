// Time to interactive of the start page and of a lesson page, for scripts/bench.sh.
//
//   BASE_URL=http://127.0.0.1:PORT node bench-tti.mjs [RUNS]
//
// Each load is a fresh browser context (an empty cache, as a student's first visit). The time is
// read in the page itself: a MutationObserver installed before any script runs records
// performance.now() (milliseconds since navigation start) when the page's control first exists
// and is enabled: the start page's Start button, the lesson page's first step and its start
// button. The front end is Yew: an element it rendered has its listeners attached, so that is the
// moment a click works. Prints one JSON line {"start_ms":[...],"lesson_ms":[...]}.

import { chromium } from "playwright-core";
import { BASE_URL, CHROMIUM } from "./lib.mjs";

const RUNS = Number(process.argv[2] || 5);
const PAGES = {
  start_ms: { path: "/", ready: "button.start:not([disabled])" },
  lesson_ms: { path: "/lessons/first-containers?lang=en", ready: "button.start-lesson:not([disabled])", also: "#step-1" },
};

async function once(browser, page) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  try {
    await ctx.addInitScript(([ready, also]) => {
      const seen = () => document.querySelector(ready) && (!also || document.querySelector(also));
      const mark = () => {
        if (window.__ttiMs === undefined && seen()) window.__ttiMs = performance.now();
      };
      new MutationObserver(mark).observe(document, { childList: true, subtree: true, attributes: true });
    }, [page.ready, page.also || null]);
    const p = await ctx.newPage();
    await p.goto(BASE_URL + page.path);
    await p.waitForFunction(() => window.__ttiMs !== undefined, null, { timeout: 30000 });
    return await p.evaluate(() => window.__ttiMs);
  } finally {
    await ctx.close();
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
  ],
});
try {
  const out = {};
  for (const [key, page] of Object.entries(PAGES)) {
    await once(browser, page); // the first load warms the browser process, not the page cache
    out[key] = [];
    for (let i = 0; i < RUNS; i++) out[key].push(await once(browser, page));
  }
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
