import assert from "node:assert/strict";
import {
  LIMITS_COLUMNS,
  limitsMarkdown,
  measureLimits,
  readLimits,
  runLimits,
} from "../bench/limits_section.ts";
import { wasmKernelsAvailable } from "@lib/kernels/mod.ts";

const row = (block: string, median: number, p10: number, quiet: number) => ({
  block,
  best_gflops: 25,
  p90_gflops: 24,
  median_gflops: median,
  p10_gflops: p10,
  median_share_of_peak: median / 24,
  quiet_median_gflops: quiet,
  rounds: 300,
  quiet_rounds: 90,
});

Deno.test("the limits section judges the step's median against 20 GFLOP/s and compares the spreads", () => {
  const md = limitsMarkdown([
    row("peak", 24, 20, 24.5),
    row("tile", 16, 12, 24),
    row("product", 14, 12, 20),
    row("step", 21, 11, 21),
  ]);
  assert.match(md, /median 21 GFLOP\/s \(target ≥ 20: met\); 21 in the quiet rounds/);
  assert.match(md, /`peak` varies by ×1\.2, the L1 tile by ×2 and the step by ×2\.18/);
  const missed = limitsMarkdown([
    row("peak", 24, 20, 24),
    row("tile", 20, 12, 24),
    row("step", 19.9, 11, 20),
  ]);
  assert.match(missed, /target ≥ 20: \*\*missed\*\*/);
});

Deno.test("measureLimits times the four blocks, and the round where the tile ran best is quiet", async () => {
  if (!wasmKernelsAvailable()) return;
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readLimits(dir), null);
    const rows = await measureLimits({ rounds: 2 });
    assert.deepEqual(rows.map((r) => r.block), ["peak", "tile", "product", "step"]);
    for (const r of rows) {
      assert.deepEqual(Object.keys(r), [...LIMITS_COLUMNS]);
      assert.ok(Number(r.quiet_rounds) >= 1 && Number(r.quiet_rounds) <= 2);
      assert.ok(Number(r.best_gflops) >= Number(r.median_gflops));
    }
    await runLimits({ out: dir, rounds: 2 });
    assert.equal((await readLimits(dir))?.length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
