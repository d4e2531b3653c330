// Prints the table of a saved run again (node bench/rereport.mjs bench/results/FILE.json), e.g.
// after the report's layout changed. Saves a copy of the JSON with the recomputed ratios and targets.
import { readFileSync } from "node:fs";
import { report } from "./report.mjs";

const file = process.argv[2];
if (!file) throw new Error("usage: node bench/rereport.mjs bench/results/bench-....json");
const saved = JSON.parse(readFileSync(file, "utf8"));
report({
  root: new URL("..", import.meta.url).pathname,
  results: saved.results,
  iterations: saved.iterations,
  concurrent: saved.results.daemon.concurrentAdd.n,
});
