// The console as a workspace, run by e2e/browser_workspace_test.go against a
// whole casedesk with two API replicas: presence across replicas, a queue
// sorted by next breach and filtered by channel, the configuration in force
// on the Admin screen, and customers: search, profile correction with its
// history, and a supervisor's merge of a duplicate. axe-core checks each
// new screen; screenshots go to SCREENSHOTS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { accessible, browser, env, shot, signedIn, useBrowser } from "./support.mjs";


useBrowser();

const row = (page, id) => page.getByRole("row").filter({ has: page.getByRole("link", { name: id, exact: true }) });

test("two agents on two API replicas see each other on the case page and in the queue row, typing included", async () => {
  const id = env("WATCHED_CASE");
  const ana = await signedIn(env("ANA_EMAIL"));
  const ben = await signedIn(env("BEN_EMAIL"), env("SECOND_URL"));

  await ana.page.goto(`/cases/${id}`);
  await ana.page.getByRole("heading", { name: new RegExp(id) }).waitFor();

  // Ben, on the other replica, sees Ana in the queue row.
  await ben.page.goto("/queues?queue=all");
  await row(ben.page, id).getByText("Viewing: Ana Ortega").waitFor();
  await shot(ben.page, "queues-presence");

  // On the case page each sees the other; Ana types and Ben sees it.
  await ben.page.goto(`/cases/${id}`);
  const benSees = ben.page.getByRole("status").filter({ hasText: "Also viewing:" });
  await benSees.filter({ hasText: "Ana Ortega" }).waitFor();
  await ana.page.getByRole("status").filter({ hasText: "Also viewing: Ben Okafor" }).waitFor();
  await ana.page.getByLabel("Message").pressSequentially("Checking the card network's decline code");
  await benSees.filter({ hasText: "Ana Ortega (typing…)" }).waitFor();
  await shot(ben.page, "case-presence");
  await accessible(ben.page, "the case page with presence");

  // Ana leaves the case: Ben's page shows nobody else.
  await ana.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Queues" }).click();
  await ben.page.waitForFunction(() => !document.querySelector(".viewers")?.textContent?.includes("Ana Ortega"));
  await ana.context.close();
  await ben.context.close();
});

test("a queue sorted by next breach and filtered by channel keeps both in the URL", async () => {
  const { context, page } = await signedIn(env("ANA_EMAIL"));
  await page.goto("/queues?queue=all");
  await page.getByRole("combobox", { name: /^Channel/ }).selectOption("social");
  await page.waitForURL(/channel=social/);
  // Newest first: the low-priority case opened last comes first.
  const ids = () => page.getByRole("table").getByRole("link").filter({ hasText: /^C-/ }).allTextContents();
  await page.waitForFunction(([a, b]) => {
    const links = [...document.querySelectorAll("table.cases a.case-id")].map((a) => a.textContent);
    return links.length === 2 && links[0] === a && links[1] === b;
  }, [env("LOW_CASE"), env("URGENT_CASE")]);
  const sort = page.getByRole("combobox", { name: /^Sort/ });
  await sort.selectOption("next_breach");
  await page.waitForURL(/sort=next_breach/);
  await page.waitForFunction(([a]) => document.querySelector("table.cases a.case-id")?.textContent === a, [env("URGENT_CASE")]);
  assert.deepEqual(await ids(), [env("URGENT_CASE"), env("LOW_CASE")]);
  // A reload keeps the sort and the filter.
  await page.reload();
  await page.waitForFunction(([a]) => document.querySelector("table.cases a.case-id")?.textContent === a, [env("URGENT_CASE")]);
  assert.equal(await sort.inputValue(), "next_breach");
  assert.equal(await page.getByRole("combobox", { name: /^Channel/ }).inputValue(), "social");
  await shot(page, "queues-next-breach");
  await accessible(page, "the queue sorted by next breach");
  await context.close();
});

test("the admin reads the SLA policies, calendars and authority matrix in force", async () => {
  const { context, page } = await signedIn(env("ADMIN_EMAIL"));
  await page.getByRole("link", { name: "Admin" }).click();
  const sla = page.getByRole("table", { name: "SLA policies in force" });
  // DESIGN.md's defaults: an urgent chargeback's first response within 1h.
  await sla.getByRole("row").filter({ hasText: "Chargeback" }).filter({ hasText: "Urgent" }).first().waitFor();
  assert.ok((await sla.getByRole("row").count()) > 4, "every type and priority has a policy row");
  await page.getByRole("table", { name: "Business calendars" }).getByRole("cell", { name: "support", exact: true }).waitFor();
  const matrix = page.getByRole("table", { name: "Authority matrix in force" });
  const any = matrix.getByRole("row").filter({ hasText: "Any other" });
  await any.waitFor();
  // DESIGN.md's matrix: automatic up to 100, one supervisor up to 1,000,
  // two above; identity verified above 100.
  assert.deepEqual(await any.getByRole("cell").allTextContents(), ["Any other", "100", "1000", "above 1000", "100"]);
  await page.getByText("the requester's total over 1d").waitFor();
  await shot(page, "admin-config");
  await accessible(page, "the admin screen with the configuration");
  await context.close();
});

test("an agent finds a customer, corrects their email, and the history shows the change", async () => {
  const { context, page } = await signedIn(env("ANA_EMAIL"));
  await page.getByRole("link", { name: "Customers" }).click();
  await page.getByLabel("Find a customer").fill("hopperton");
  // The search runs once the typing pauses and keeps its words in the URL:
  // wait for it, so the rows below are its results and not the list before
  // it (a click on a row that moves as the results arrive lands elsewhere).
  await page.waitForURL(/[?&]q=hopperton/);
  const found = page.getByRole("table", { name: "Customers found" });
  await found.getByRole("link", { name: env("GRACE") }).waitFor();
  await found.getByRole("link", { name: env("DUPLICATE") }).waitFor();
  await shot(page, "customers");
  await accessible(page, "the customer search");
  await found.getByRole("link", { name: env("GRACE") }).click();
  await page.getByRole("heading", { name: "Grace Hopperton", level: 1 }).waitFor();
  const profile = page.getByRole("complementary", { name: "Profile" });
  await profile.getByRole("button", { name: "Edit profile…" }).click();
  await profile.getByLabel("Email address").fill("grace.hopperton@example.com");
  await profile.getByRole("button", { name: "Save profile" }).click();
  await profile.getByText("grace.hopperton@example.com").waitFor();
  await profile.getByRole("button", { name: "History" }).click();
  const history = profile.getByRole("list", { name: "Customer history" });
  await history.getByText("Email: grace.old@example.com → grace.hopperton@example.com").waitFor();
  await history.getByText(/Ana Ortega,/).waitFor();
  assert.equal(await profile.getByRole("button", { name: "Merge into another customer…" }).count(), 0, "agents do not merge");
  await shot(page, "customer");
  await accessible(page, "the customer page");
  await context.close();
});

test("a supervisor merges the duplicate into the customer kept; its case moves along", async () => {
  const { context, page } = await signedIn(env("SUPERVISOR_EMAIL"));
  await page.goto(`/customers/${env("DUPLICATE")}`);
  await page.getByRole("table", { name: "Cases" }).getByRole("link", { name: env("DUPLICATE_CASE") }).waitFor();
  const profile = page.getByRole("complementary", { name: "Profile" });
  await profile.getByRole("button", { name: "Merge into another customer…" }).click();
  await profile.getByLabel("Customer to keep (ID)").fill(env("GRACE"));
  await profile.getByRole("button", { name: "Merge", exact: true }).click();
  await page.waitForURL(new RegExp(`/customers/${env("GRACE")}$`));
  await page.getByRole("heading", { name: "Grace Hopperton", level: 1 }).waitFor();
  await page.getByRole("table", { name: "Cases" }).getByRole("link", { name: env("DUPLICATE_CASE") }).waitFor();
  await page.getByRole("complementary", { name: "Profile" }).getByRole("button", { name: "History" }).click();
  await page.getByRole("list", { name: "Customer history" }).getByText(`Merged ${env("DUPLICATE")} into this customer`).waitFor();
  await shot(page, "customer-merged");
  await accessible(page, "the customer page after a merge");
  await context.close();
});
