// Writes a gzipped copy of each built script and stylesheet (served by
// web/embed.go to clients that accept gzip) and checks the JavaScript a first
// load fetches: the entry script and the modules index.html preloads, gzipped,
// must stay under the budget.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 300 * 1024;
const dir = new URL("../dist/app/", import.meta.url).pathname;
const assets = join(dir, "assets");
for (const f of readdirSync(assets)) {
  if (/\.(js|css)$/.test(f)) {
    writeFileSync(join(assets, f + ".gz"), gzipSync(readFileSync(join(assets, f)), { level: 9 }));
  }
}
const html = readFileSync(join(dir, "index.html"), "utf8");
const first = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
for (const f of first) {
  total += gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1) + " KB";
console.log(`console: first load ${first.length} script(s), ${kb(total)} gzipped (budget ${kb(BUDGET)})`);
if (total > BUDGET) {
  console.error("console: the first load is over budget");
  process.exit(1);
}
