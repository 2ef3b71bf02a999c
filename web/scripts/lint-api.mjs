// Lints api/openapi.json with Redocly CLI's recommended rules and fails on
// any problem, warnings included (redocly itself fails on errors only).
// `npm run lint:api`; scripts/test.sh runs it in make test.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const doc = join(web, "..", "api", "openapi.json");
const cli = join(web, "node_modules", "@redocly", "cli", "bin", "cli.js");
const run = spawnSync(process.execPath, [cli, "lint", doc, "--format=json", "--max-problems=1000"], {
  encoding: "utf8",
  // Nothing leaves the machine: no usage reports, no version checks.
  env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", CI: "true" },
  maxBuffer: 64 << 20,
});
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  process.stderr.write(run.stderr + run.stdout);
  console.error(`redocly lint did not report (exit status ${run.status})`);
  process.exit(1);
}
for (const p of report.problems) {
  const at = p.location?.[0];
  const where = at ? `${at.start?.line ?? "?"}:${at.start?.col ?? "?"} ${at.pointer}` : "";
  console.error(`api/openapi.json:${where}  ${p.severity}  ${p.ruleId}  ${p.message}`);
}
const { errors, warnings } = report.totals;
if (errors + warnings > 0 || run.status !== 0) {
  console.error(`api/openapi.json: ${errors} errors and ${warnings} warnings under redocly's recommended rules`);
  process.exit(1);
}
console.log(`api/openapi.json: lint-clean under redocly ${report.version}'s recommended rules`);
