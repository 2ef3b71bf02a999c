// Times the queue over 10,000 cases (seeded by e2e/browser_queue_bench_test.go)
// with performance.now() in Chromium and prints the figures; docs/console.md
// quotes them. Only that the queue shows the cases is asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browser, env, useBrowser } from "./support.mjs";

useBrowser();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

/** firstRender loads path and returns the ms from navigation start to the first row painted. */
async function firstRender(page, path) {
  await page.goto(path);
  return page.evaluate(() => new Promise((resolve) => {
    const check = () => {
      if (document.querySelector("table.cases tbody tr")) requestAnimationFrame(() => resolve(performance.now()));
      else requestAnimationFrame(check);
    };
    check();
  }));
}

/**
 * moves presses key n times and returns, for each, the ms until the moved
 * cursor is in the DOM (the app's work: handler, render, commit) and until
 * the next frame after it starts (what the agent waits for at 60 Hz).
 */
async function moves(page, key, n) {
  return page.evaluate(async ([key, n]) => {
    const cursorAt = () => [...document.querySelectorAll("table.cases tbody tr")].findIndex((r) => r.classList.contains("cursor"));
    const tick = () => new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve();
      ch.port2.postMessage(0);
    });
    const commit = [];
    const frame = [];
    for (let i = 0; i < n; i++) {
      const before = cursorAt();
      document.activeElement?.blur?.();
      const t0 = performance.now();
      window.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
      while (cursorAt() === before) await tick();
      commit.push(performance.now() - t0);
      await new Promise((resolve) => requestAnimationFrame(() => resolve()));
      frame.push(performance.now() - t0);
    }
    return { commit, frame };
  }, [key, n]);
}

const moveFigures = (m) =>
  `${fmt(median(m.commit))} / ${fmt(Math.max(...m.commit))} to the DOM, ${fmt(median(m.frame))} to the next frame`;

test("the queue over 10,000 cases: first render, j/k, more pages, sorted by next breach", async () => {
  const context = await browser.newContext({ baseURL: env("CASEDESK_URL"), viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto("/");
  await page.getByLabel("Email").fill(env("AGENT_EMAIL"));
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();

  const figures = {};
  const renders = [];
  for (let i = 0; i < 5; i++) renders.push(await firstRender(page, "/queues?queue=all"));
  figures["first render, All (newest first), median of 5"] = fmt(median(renders));
  const count = await page.getByRole("link", { name: /^All/ }).textContent();
  assert.match(count, /1000\d/, "the All queue counts the seeded cases");

  const j = await moves(page, "j", 49);
  const k = await moves(page, "k", 49);
  figures["j move, 50 rows shown (median / max)"] = moveFigures(j);
  figures["k move, 50 rows shown (median / max)"] = moveFigures(k);

  const loads = [];
  for (let i = 0; i < 9; i++) {
    const n = await page.locator("table.cases tbody tr").count();
    const t0 = Date.now();
    await page.getByRole("button", { name: "Load more" }).click();
    await page.waitForFunction((n) => document.querySelectorAll("table.cases tbody tr").length > n, n);
    loads.push(Date.now() - t0);
  }
  assert.equal(await page.locator("table.cases tbody tr").count(), 500);
  figures["Load more (50 more rows, median of 9)"] = fmt(median(loads));
  const j500 = await moves(page, "j", 49);
  figures["j move, 500 rows shown (median / max)"] = moveFigures(j500);

  const sorted = [];
  for (let i = 0; i < 5; i++) sorted.push(await firstRender(page, "/queues?queue=all&sort=next_breach"));
  figures["first render, All by next breach, median of 5"] = fmt(median(sorted));
  const filtered = [];
  for (let i = 0; i < 5; i++) filtered.push(await firstRender(page, "/queues?queue=all&priority=urgent&sort=next_breach"));
  figures["first render, urgent by next breach, median of 5"] = fmt(median(filtered));

  for (const [name, value] of Object.entries(figures)) console.log(`queue-bench: ${name}: ${value}`);
  await context.close();
});
