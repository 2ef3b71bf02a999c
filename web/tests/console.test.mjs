// Browser tests of the console, run by e2e/browser_test.go against a whole
// casedesk it starts: Playwright (playwright-core) drives Debian's Chromium,
// selecting by role and accessible name; axe-core checks every screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { accessible, browser, env, shot, signedIn, useBrowser } from "./support.mjs";

const URL = env("CASEDESK_URL");
const PASSWORD = env("PASSWORD");
const NEW_CASE = env("NEW_CASE");

useBrowser();

// The console's Content-Security-Policy allows only its own scripts; the
// accessibility check injects axe-core, so the test contexts bypass it.
const contextOptions = { baseURL: URL, viewport: { width: 1400, height: 1000 }, bypassCSP: true };

/** api calls the API as the billing-desk token holder (the customer's side). */
async function api(method, path, body) {
  const res = await fetch(URL + path, {
    method, headers: { Authorization: `Bearer ${env("API_TOKEN")}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const timeline = (page) => page.getByRole("list", { name: "Timeline, newest first" });

test("signing in: a wrong password is refused and shown, the right one opens the queues", async () => {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  await page.goto("/queues");
  await accessible(page, "sign-in");
  await shot(page, "sign-in");
  await page.getByLabel("Email").fill(env("AGENT_EMAIL"));
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "email or password is not right" }).waitFor();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Queues" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await context.close();
});

test("an agent works a new case from Unassigned to resolved, and the timeline shows every step", async () => {
  const { context, page } = await signedIn(env("AGENT_EMAIL"));
  await page.getByRole("link", { name: /Unassigned/ }).click();
  const row = page.getByRole("link", { name: NEW_CASE });
  await row.waitFor();
  await accessible(page, "queues");
  await shot(page, "queues");
  await row.click();
  await page.getByRole("heading", { name: new RegExp(NEW_CASE) }).waitFor();

  await page.getByRole("button", { name: "Assign to me" }).click();
  await page.locator(".case-header .status", { hasText: "Open" }).waitFor();

  await page.getByLabel("Message").fill("We are looking into the two charges now.");
  await page.getByRole("button", { name: "Reply" }).click();
  await timeline(page).getByText("We are looking into the two charges now.").waitFor();
  assert.equal(await page.getByLabel("Message").inputValue(), "", "the composer is cleared after sending");

  // An unsent draft survives a reload.
  await page.getByLabel("Message").fill("Could you send the last four digits of the card?");
  await page.reload();
  assert.equal(await page.getByLabel("Message").inputValue(), "Could you send the last four digits of the card?");
  await page.getByRole("button", { name: "Request info" }).click();
  await page.locator(".case-header .status", { hasText: "Waiting on customer" }).waitFor();

  // The customer answers (through the API); the open page updates by itself.
  await api("POST", `/v1/cases/${NEW_CASE}/customer-reply`, { body: "It ends in 4242." });
  await timeline(page).getByText("It ends in 4242.").waitFor();
  await page.locator(".case-header .status", { hasText: "Open" }).waitFor();
  await accessible(page, "case");

  await page.getByRole("button", { name: "Resolve…" }).click();
  await page.getByLabel("Summary (optional)").fill("One charge was a pending authorisation; it has dropped.");
  await page.getByRole("button", { name: "Resolve", exact: true }).click();
  await page.locator(".case-header .status", { hasText: "Resolved" }).waitFor();
  for (const step of ["Opened", "Assigned", "Replied", "Information requested", "Customer replied", "Resolved"]) {
    await timeline(page).getByText(step, { exact: true }).first().waitFor();
  }
  await shot(page, "case");
  await context.close();
});

test("a refund above the agent's authority is approved by a supervisor and the agent's page updates by itself", async () => {
  const opened = await api("POST", "/v1/cases", { type: "inquiry", customer_id: env("CUSTOMER_ID"), subject: "Refund the annual plan",
    channel: "email" });
  const id = opened.id;
  const agent = await signedIn(env("AGENT_EMAIL"));
  await agent.page.goto(`/cases/${id}`);
  await agent.page.getByRole("button", { name: "Assign to me" }).click();
  await agent.page.locator(".case-header .status", { hasText: "Open" }).waitFor();
  // Money above the identity limit moves only for a verified caller.
  await agent.page.getByRole("button", { name: "Verify identity…" }).click();
  const verify = agent.page.getByRole("form", { name: "Verify the caller's identity" });
  await verify.getByLabel("Method").selectOption({ value: "one_time_code" });
  await verify.getByRole("button", { name: "Record verification" }).click();
  await agent.page.getByText("Verified", { exact: true }).waitFor();
  const form = agent.page.getByRole("form", { name: "Propose a refund or credit" });
  await form.getByLabel("Payment or invoice").selectOption({ value: env("PAYMENT_ID") });
  await form.getByText("Refundable: 750.00 USD").waitFor();
  await form.getByLabel("Amount").fill("500.00");
  await form.getByLabel("Reason").fill("Cancelled within the refund window");
  await form.getByRole("button", { name: "Propose refund" }).click();
  await agent.page.locator(".case-header .status", { hasText: "Pending approval" }).waitFor();
  await shot(agent.page, "case-refund-pending");

  const supervisor = await signedIn(env("SUPERVISOR_EMAIL"));
  await supervisor.page.getByRole("link", { name: "Approvals" }).click();
  const item = supervisor.page.getByRole("listitem").filter({ has: supervisor.page.getByRole("link", { name: id }) });
  await item.waitFor();
  await accessible(supervisor.page, "approvals");
  await shot(supervisor.page, "approvals");
  await item.getByLabel(/Comment/).fill("Within policy.");
  await item.getByRole("button", { name: "Approve" }).click();

  // No reload: the agent's page hears of the change.
  await agent.page.locator(".money").getByText("Posted").waitFor();
  await agent.page.locator(".case-header .status", { hasText: "Open" }).waitFor();
  await timeline(agent.page).getByText("Refund issued").waitFor();
  await shot(agent.page, "case-refund-posted");
  await supervisor.context.close();
  await agent.context.close();
});

test("agents see neither Approvals nor Admin; an admin creates a user whose token is shown once", async () => {
  const agent = await signedIn(env("AGENT_EMAIL"));
  assert.equal(await agent.page.getByRole("link", { name: "Approvals" }).count(), 0, "agents have no Approvals");
  assert.equal(await agent.page.getByRole("link", { name: "Admin" }).count(), 0, "agents have no Admin");
  await agent.context.close();

  const admin = await signedIn(env("ADMIN_EMAIL"));
  await admin.page.getByRole("link", { name: "Admin" }).click();
  await admin.page.getByRole("heading", { name: "Users" }).waitFor();
  const create = admin.page.getByRole("form", { name: "Create a user" });
  await create.getByLabel("Name").fill("Casey Console");
  await create.getByLabel("Email").fill(`casey-${Date.now()}@casedesk.test`);
  await create.getByLabel(/Console password/).fill("a password for casey");
  await create.getByRole("button", { name: "Create user" }).click();
  await admin.page.getByRole("status").filter({ hasText: "shown only now" }).waitFor();
  await admin.page.getByRole("cell", { name: "Casey Console", exact: true }).waitFor();
  await accessible(admin.page, "admin");
  await shot(admin.page, "admin");
  await admin.context.close();
});

test("the dashboard shows the KPIs, and the first-contact-resolution tile opens exactly the cases it counts", async () => {
  const { context, page } = await signedIn(env("SUPERVISOR_EMAIL"));
  await page.getByRole("link", { name: "Dashboard" }).click();
  const fcr = page.getByRole("region", { name: "First contact resolution" });
  await fcr.waitFor();
  await page.getByRole("img", { name: /Cases opened per day by channel/ }).waitFor();
  await accessible(page, "dashboard");
  await shot(page, "dashboard");
  const tile = fcr.getByRole("link").first();
  const counted = Number((await tile.locator(".tile-count").innerText()).replace(/\D+/g, ""));
  assert.ok(counted >= 1, "the resolved case is counted");
  await tile.click();
  await page.getByRole("heading", { name: "Cases", exact: true }).waitFor();
  // The list loads after the page: wait for its count, not the first one shown.
  await page.getByRole("status").filter({ hasText: new RegExp(`^${counted} cases?$`) }).waitFor();
  const listed = await page.locator("tbody tr").count();
  assert.equal(listed, counted, "the tile's cases are the ones it counts");
  await context.close();
});

test("two people on one case: a reply written before the other's change is refused as stale and shown", async () => {
  const opened = await api("POST", "/v1/cases", { type: "inquiry", customer_id: env("CUSTOMER_ID"), subject: "Which invoice is this?",
    channel: "chat" });
  const id = opened.id;
  const agent = await signedIn(env("AGENT_EMAIL"));
  await agent.page.goto(`/cases/${id}`);
  await agent.page.getByRole("button", { name: "Assign to me" }).click();
  await agent.page.locator(".case-header .status", { hasText: "Open" }).waitFor();
  await agent.page.getByLabel("Message").fill("It is the March invoice.");
  // Meanwhile someone else writes on the case.
  await api("POST", `/v1/cases/${id}/notes`, { body: "The customer called again: it is about April." });
  await timeline(agent.page).getByText("The customer called again: it is about April.").waitFor();
  await agent.page.getByRole("button", { name: "Reply" }).click();
  await agent.page.getByText(/The case changed after you started writing/).waitFor();
  assert.equal(await agent.page.getByLabel("Message").inputValue(), "It is the March invoice.", "the draft is kept");
  await agent.page.getByRole("button", { name: "keep my text for the current version" }).click();
  await agent.page.getByRole("button", { name: "Reply" }).click();
  await timeline(agent.page).getByText("It is the March invoice.").waitFor();
  await agent.context.close();
});
