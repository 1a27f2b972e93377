// Browser checks of the playground (the page Start opens): node tabs, add/remove a node, a
// terminal per node, published ports and file upload.

import { join } from "node:path";
import {
  BASE_URL, SHOTS, TIMEOUT, pageErrors, check, expect, screenText, runInTerminal, endStoredSessions,
} from "./lib.mjs";

const ACTIVE = ".term-slot.active";

export async function playgroundChecks(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  try {
    await nodes(page);
    await uploadAndPorts(page);
  } finally {
    await endStoredSessions(page).catch(() => {});
    await ctx.close();
  }
}

async function nodes(page) {
  await check("the playground adds node2, whose own terminal answers hostname with node2", async () => {
    await page.goto(BASE_URL + "/");
    await page.click("button.start");
    await page.waitForURL(/\/s\/[^/]+$/);
    await runInTerminal(page, "hostname", "node1", ACTIVE);
    await page.click("button.add-node");
    await page.waitForSelector(".node-tab.active .tab-select[data-node=node2]", { timeout: TIMEOUT });
    expect((await page.locator(".node-tab").count()) === 2, "not two tabs");
    await runInTerminal(page, "hostname", "node2", ACTIVE);
    const ip = (await page.textContent(".node-tab.active .tab-ip")).trim();
    expect(/^\d+\.\d+\.\d+\.\d+$/.test(ip), `node2's tab shows ip ${ip}`);
    await page.screenshot({ path: join(SHOTS, "playground.png") });
  });

  await check("the other tab's terminal stayed connected; Remove node drops node2", async () => {
    await page.click(".tab-select[data-node=node1]");
    await runInTerminal(page, "echo still-$((20+1))", "still-21", ACTIVE);
    const node1 = await screenText(page, ".term-slot[data-node=node1]");
    expect(/^node1$/m.test(node1), "node1's earlier output is gone");
    // Reset and remove act on the shown node (they are not in the tab list), after a confirm.
    await page.click(".tab-select[data-node=node2]");
    page.once("dialog", (d) => d.accept());
    await page.click(".tab-remove[data-node=node2]");
    await page.waitForFunction(() => document.querySelectorAll(".node-tab").length === 1);
    expect((await page.$(".term-slot[data-node=node2]")) === null, "node2's terminal is still there");
    expect((await page.$(".error-banner")) === null, "an error banner is shown");
  });

  await check("a refused + Add node shows the server's error text", async () => {
    const nodesUrl = /\/api\/sessions\/[^/]+\/nodes$/;
    await page.route(nodesUrl, (route) => route.fulfill({
      status: 400, contentType: "application/json",
      body: JSON.stringify({ code: "TOO_MANY_NODES", message: "a session has at most 5 nodes" }),
    }));
    try {
      await page.click("button.add-node");
      const text = (await (await page.waitForSelector(".playground .error-banner")).textContent()).trim();
      expect(text === "Something went wrong: a session has at most 5 nodes", `banner says ${text}`);
      expect((await page.locator(".node-tab").count()) === 1, "a tab was added");
    } finally {
      await page.unroute(nodesUrl);
    }
  });
}

async function uploadAndPorts(page) {
  await check("upload puts a file in /root of the node (or says the server cannot)", async () => {
    const name = `upload-${Date.now()}.txt`;
    await page.setInputFiles("input.upload-input", {
      name, mimeType: "text/plain", buffer: Buffer.from("uploaded-content-42\n"),
    });
    const note = page.locator(".upload-note:not(.sending)");
    await note.waitFor({ timeout: TIMEOUT });
    const text = (await note.textContent()).trim();
    if (text === "This server does not support file uploads.") {
      console.log("       (no upload endpoint on this server: the UI says so)");
      return;
    }
    expect(text === `Uploaded to node1:/root/${name}`, `upload note says ${text}`);
    await runInTerminal(page, `cat /root/${name}`, "uploaded-content-42", ACTIVE);
  });

  await check("published ports open at their own origin with a key for that port (or the server says it cannot)", async () => {
    await page.waitForSelector(".ports .muted, .ports a.port");
    const ports = (await page.textContent(".ports")).trim();
    if (/does not list published ports/.test(ports)) {
      console.log("       (no ports endpoint on this server: the UI says so)");
      return;
    }
    await runInTerminal(page, "docker run -d -p 8080:80 nginx >/dev/null && echo started-nginx", "started-nginx", ACTIVE);
    const link = await page.waitForSelector('a.port[data-port="8080"]', { timeout: 3 * TIMEOUT });
    const href = await link.getAttribute("href");
    expect(/^http:\/\/8080-node1-[a-z0-9]+\.localhost:\d+\/\?muelle_link=[0-9a-f]{64}$/.test(href), `port link is ${href}`);
    expect((await link.getAttribute("target")) === "_blank", "port link does not open a new tab");
    const sessionToken = await page.evaluate(() => JSON.stringify(Object.assign({}, localStorage, sessionStorage)));
    const key = new URL(href).searchParams.get("muelle_link");
    expect(!sessionToken.includes(key), "the port key is the session token");
    // Chromium resolves *.localhost to loopback: open the link as a student would. nginx may
    // still be starting when its port shows up: give it a few tries.
    const ctx = page.context();
    const tab = await ctx.newPage();
    let status = 0, body = "";
    for (let i = 0; i < 10 && !(status === 200 && /nginx/i.test(body)); i++) {
      if (i) await tab.waitForTimeout(1000);
      const resp = await tab.goto(href);
      [status, body] = [resp.status(), await tab.content()];
    }
    expect(status === 200 && /nginx/i.test(body), `port link answered ${status}: ${body.slice(0, 120)}`);
    const landed = new URL(tab.url());
    expect(landed.host === new URL(href).host && !landed.search.includes("muelle_link"), `landed on ${tab.url()}`);
    const cookies = await ctx.cookies(tab.url());
    const linkCookie = cookies.find((c) => c.name === "muelle_link");
    expect(linkCookie && linkCookie.httpOnly && linkCookie.domain === landed.hostname, `link cookie ${JSON.stringify(cookies)}`);
    expect((await tab.evaluate(() => document.cookie)).indexOf("muelle_link") < 0, "the page's script sees the link cookie");
    expect(!(await ctx.cookies(BASE_URL)).some((c) => c.name === "muelle_link"), "the app's origin got the link cookie");
    await tab.close();
  });
}
