// What every browser test file shares: its settings from the environment
// (set by e2e's runBrowserTests), axe-core's path, and Debian's Chromium
// started with the flags this machine needs.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests with make test`);
  return v;
};

export const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

// browser is the file's Chromium once useBrowser's hook has started it.
export let browser;

// useBrowser starts Chromium before the file's tests and closes it after.
// Playwright gives it a fresh, throwaway --user-data-dir of its own (it
// refuses one passed here), so no profile carries over.
export function useBrowser() {
  before(async () => {
    browser = await chromium.launch({
      executablePath: env("CHROMIUM"),
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await browser?.close();
  });
}

/** signedIn opens a fresh browser context on the API at url and signs in as email. */
export async function signedIn(email, url = env("CASEDESK_URL")) {
  // bypassCSP: the accessibility check injects axe-core.
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1400, height: 1000 }, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto("/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  return { context, page };
}

/** accessible runs axe-core and fails on serious or critical violations. */
export async function accessible(page, screen) {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations);
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`), [],
    `${screen} has accessibility violations`);
}

/** shot writes a full-page screenshot of page to SCREENSHOTS/name.png. */
export const shot = (page, name) => page.screenshot({ path: join(env("SCREENSHOTS"), `${name}.png`), fullPage: true });
