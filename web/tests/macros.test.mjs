// Macros in the composer, run by e2e/browser_macros_test.go against a whole
// casedesk holding the shared macro "Duplicate authorisation".
import { test } from "node:test";
import assert from "node:assert/strict";
import { browser, env, useBrowser } from "./support.mjs";

useBrowser();

test("::dup in the composer offers the macro, and Enter inserts its text rendered for the case", async () => {
  const context = await browser.newContext({ baseURL: env("CASEDESK_URL"), viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto("/");
  await page.getByLabel("Email").fill(env("AGENT_EMAIL"));
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();

  const id = env("CASE_ID");
  await page.goto(`/cases/${id}`);
  await page.getByRole("heading", { name: new RegExp(id) }).waitFor();
  const box = page.getByLabel("Message");
  await box.click();
  await box.pressSequentially("Thanks for calling. ::dup");
  const option = page.getByRole("listbox", { name: "Macros" }).getByRole("option", { name: "Duplicate authorisation" });
  await option.waitFor();
  await box.press("Enter");
  const want = `Thanks for calling. Hello ${env("CUSTOMER_NAME")}, the second charge on ${id} is a duplicate authorisation.`;
  await page.waitForFunction(([w]) => document.querySelector("#composer-message")?.value === w, [want]);
  assert.equal(await box.inputValue(), want);
  assert.equal(await page.getByRole("listbox", { name: "Macros" }).count(), 0, "the list closes once the macro is inserted");
  await context.close();
});

test("an agent corrects the customer's email in the side panel, and the history shows the change", async () => {
  const context = await browser.newContext({ baseURL: env("CASEDESK_URL"), viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto("/");
  await page.getByLabel("Email").fill(env("AGENT_EMAIL"));
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();

  await page.goto(`/cases/${env("CASE_ID")}`);
  const side = page.getByRole("complementary", { name: "Customer" });
  await side.getByRole("button", { name: "Edit profile…" }).click();
  await side.getByLabel("Email address").fill("corrected@example.com");
  await side.getByRole("button", { name: "Save profile" }).click();
  await side.getByText("corrected@example.com").waitFor();
  await side.getByRole("button", { name: "History" }).click();
  await side.getByRole("list", { name: "Customer history" }).getByText(`Email: ${env("CUSTOMER_EMAIL")} → corrected@example.com`).waitFor();
  await context.close();
});

test("an agent's macro with a misspelt placeholder is refused on the Macros screen; the corrected one is saved", async () => {
  const context = await browser.newContext({ baseURL: env("CASEDESK_URL"), viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto("/");
  await page.getByLabel("Email").fill(env("AGENT_EMAIL"));
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();

  await page.getByRole("link", { name: "Macros" }).click();
  await page.getByRole("heading", { name: "Macros", level: 1 }).waitFor();
  await page.getByLabel("Name").fill("Card expired");
  await page.getByLabel("Text").fill("Hello {{customer.nmae}}, your card has expired.");
  await page.getByRole("button", { name: "Save macro" }).click();
  await page.getByRole("alert").filter({ hasText: "unknown placeholder {{customer.nmae}}" }).waitFor();
  await page.getByLabel("Text").fill("Hello {{customer.name}}, your card has expired.");
  await page.getByRole("button", { name: "Save macro" }).click();
  await page.getByRole("cell", { name: "Card expired", exact: true }).waitFor();
  assert.equal(await page.getByRole("alert").count(), 0);
  await context.close();
});
