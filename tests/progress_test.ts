import assert from "node:assert/strict";
import {
  lineProgress,
  notebookProgress,
  type ProgressEnvironment,
  progressReporter,
  type ProgressState,
  terminalProgress,
} from "@lib/progress.ts";

const state = (step: number, done = false): ProgressState => ({
  step,
  steps: 4,
  trainLoss: 1 / step,
  testAccuracy: null,
  seconds: step,
  done,
});

Deno.test("'auto' follows the environment: a notebook in Jupyter, a bar on a terminal outside CI, else nothing", () => {
  const env = (over: Partial<ProgressEnvironment>): ProgressEnvironment => ({
    jupyter: false,
    terminal: false,
    ci: false,
    ...over,
  });
  assert.equal(progressReporter("auto", env({})), null);
  assert.equal(progressReporter("auto", env({ terminal: true, ci: true })), null);
  assert.notEqual(progressReporter("auto", env({ terminal: true })), null);
  assert.notEqual(progressReporter("auto", env({ jupyter: true, ci: true })), null);
  for (const name of ["bar", "lines", "notebook"] as const) {
    assert.equal(typeof progressReporter(name)?.update, "function", name);
  }
  assert.equal(progressReporter("none", env({ terminal: true })), null);
  assert.throws(
    () => progressReporter("loud" as "auto"),
    /cannot show progress: progress must be one of "auto", "none", "bar", "lines", "notebook" or a reporter with update\(\), got loud/,
  );
});

Deno.test("the bar redraws in place at most every intervalMs and always draws the final state", () => {
  let text = "";
  const bar = terminalProgress({ write: (s) => (text += s), intervalMs: 60_000, width: 4 });
  for (let s = 1; s <= 3; s++) bar.update(state(s));
  bar.update(state(4, true));
  assert.equal(
    text,
    "\r[#---]  25% step 1/4 · train loss 1.000 · 1.0 s\x1b[K" +
      "\r[####] 100% step 4/4 · train loss 0.2500 · 4.0 s\x1b[K\n",
  );
});

Deno.test("lines are whole lines, throttled, with the final state always written", () => {
  let text = "";
  const lines = lineProgress({ write: (s) => (text += s), intervalMs: 0 });
  for (let s = 1; s <= 3; s++) lines.update(state(s));
  lines.update(state(4, true));
  assert.equal(text.split("\n").length, 5);
  assert.ok(text.split("\n").slice(0, 4).every((l) => /^fit: step \d\/4 · train loss/.test(l)));
  assert.ok(!text.includes("\r"));
});

Deno.test("two notebook displays have distinct ids, and a final state carries no wall time", async () => {
  const ids = new Set<string>(), texts: string[] = [];
  for (let k = 0; k < 2; k++) {
    const progress = notebookProgress({
      display: (bundle, o) => void (ids.add(o.display_id), texts.push(bundle["text/html"])),
      intervalMs: 0,
    });
    await progress.update(state(4, true));
  }
  assert.equal(ids.size, 2);
  assert.equal(
    texts[0],
    '<progress value="4" max="4"></progress> fit: step 4/4 · train loss 0.2500',
  );
});
