import assert from "node:assert/strict";
import {
  COST_COLUMNS,
  costConfigs,
  costNotes,
  costRow,
  costTimings,
  flopTable,
  ratioChart,
  unitCostRows,
  weightedRatio,
  withinTarget,
} from "@lib/experiments/cost/mod.ts";
import { decodeTables, encodeTables } from "@lib/experiments/cost/rows.ts";
import { classifierConfig, courseConfig, flopModel } from "@lib/mod.ts";
import { renderSvg } from "@lib/plot.ts";

Deno.test("a cost row has the ratios.csv columns in order and its numbers follow from the times", () => {
  const config = courseConfig(256, { batch: 32, hidden: 4 });
  const row = costRow(config, { forwardMs: 4, backwardMs: 6 });
  assert.deepEqual(Object.keys(row), [...COST_COLUMNS]);
  const f = flopModel(config.sizes, { batch: 32 });
  assert.equal(row.ratio, 1.5);
  assert.equal(row.flop_ratio, Number(f.ratio.toPrecision(4)));
  assert.equal(row.gflops_fwd, Number((f.forward.total / 4e6).toPrecision(3)));
  assert.equal(row.gflops_bwd, Number((f.backward.total / 6e6).toPrecision(3)));
  assert.throws(() => costRow(config, { forwardMs: 0, backwardMs: 1 }), /forward 0 ms/);
});

Deno.test("the ±20 % target holds exactly up to the band's edges, and only for n ≥ 256", () => {
  assert.equal(withinTarget({ n: 256, ratio: 1.2, flop_ratio: 1 }), true);
  assert.equal(withinTarget({ n: 256, ratio: 0.8, flop_ratio: 1 }), true);
  assert.equal(withinTarget({ n: 256, ratio: 1.21, flop_ratio: 1 }), false);
  assert.equal(withinTarget({ n: 1024, ratio: 0.79, flop_ratio: 1 }), false);
  assert.equal(withinTarget({ n: 255, ratio: 5, flop_ratio: 1 }), null);
});

Deno.test("the weighted ratio is the product ratio when entries are free and the FLOP ratio at one FLOP each", () => {
  const f = flopModel(courseConfig(64, { batch: 32, hidden: 4 }).sizes, { batch: 32 });
  const free = weightedRatio(f, { nsPerFlop: 0.05, forwardNsPerEntry: 0, backwardNsPerEntry: 0 });
  const flat = weightedRatio(f, {
    nsPerFlop: 0.05,
    forwardNsPerEntry: 0.05,
    backwardNsPerEntry: 0.05,
  });
  assert.ok(Math.abs(free - f.productRatio) <= 4 * Number.EPSILON * free);
  assert.ok(Math.abs(flat - f.ratio) <= 4 * Number.EPSILON * flat);
  // a dearer forward activation lowers the ratio, a dearer σ′ raises it
  const dear = weightedRatio(f, {
    nsPerFlop: 0.05,
    forwardNsPerEntry: 15,
    backwardNsPerEntry: 0.05,
  });
  assert.ok(dear < flat);
  assert.ok(
    weightedRatio(f, { nsPerFlop: 0.05, forwardNsPerEntry: 0.05, backwardNsPerEntry: 15 }) > flat,
  );
});

Deno.test("the FLOP table is deterministic and gives the (2L − 1)/L limit for the course's network only", () => {
  const configs = costConfigs("full");
  const a = flopTable(configs), b = flopTable(configs);
  assert.deepEqual(a, b);
  for (const row of a) {
    if (row.config === classifierConfig().name) assert.equal(row.limit, null);
    else assert.equal(row.limit, (2 * row.L - 1) / row.L);
    assert.ok(row.product_ratio < 2 && row.product_ratio >= 1);
  }
});

Deno.test("the quick sweep does under a quarter of the full sweep's FLOPs, with both activations", () => {
  const quick = costConfigs("quick"), full = costConfigs("full");
  const work = (cs: typeof quick) =>
    cs.reduce((s, c) => s + flopModel(c.sizes, { batch: c.batch }).step.total, 0);
  assert.ok(work(quick) < work(full) / 4);
  assert.deepEqual(new Set(quick.map((c) => c.activation)), new Set(["tanh", "relu"]));
});

Deno.test("timing rows carry the ratio columns, the step and the target verdict (null below n = 256)", () => {
  const rows = costTimings([courseConfig(8, { batch: 4, hidden: 2 })], {
    seed: 1,
    rounds: 1,
    minMs: 1,
  });
  assert.deepEqual(Object.keys(rows[0]), [
    ...COST_COLUMNS,
    "step_ms",
    "gflops_step",
    "activation",
    "within_target",
    "weighted_ratio",
  ]);
  assert.equal(rows[0].within_target, null);
});

Deno.test("the ratio chart renders, with one point per row over the reference lines", async () => {
  const rows = [
    { config: "n=256 B=32 L=4", n: 256, B: 32, ratio: 1.1, flop_ratio: 1.746 },
    { config: "784-256-256-10 B=128", n: 256, B: 128, ratio: 1.2, flop_ratio: 1.253 },
  ];
  const spec = ratioChart(rows);
  const svg = await renderSvg(spec);
  assert.match(svg, /^<svg /);
  assert.equal(spec.data.values.length, 2);
  assert.match(svg, /784-256-256-10/); // a classifier row is its own series
});

Deno.test("the timing note names every configuration that misses the target, and the unit-cost note reads the table", () => {
  const timing = (config: string, ratio: number, within_target: boolean | null) => ({
    config,
    n: 256,
    B: 32,
    L: 2,
    fwd_ms: 1,
    bwd_ms: ratio,
    ratio,
    flop_ratio: 1.5,
    gflops_fwd: 1,
    gflops_bwd: 1,
    step_ms: 3,
    gflops_step: 1,
    activation: "tanh",
    within_target,
    weighted_ratio: null,
  });
  const notes = costNotes({
    flops: [],
    ratio_limit: [],
    passes_timing: [timing("a", 1.2, true), timing("b", 1, false), timing("c", 2, false)],
    unit_costs_timing: unitCostRows({
      nsPerFlop: 0.1,
      tanh: 7.04,
      tanhBackward: 1,
      relu: 5.96,
      reluBackward: 1,
    }),
  }, { profile: "full", machine: "M" });
  assert.match(notes.passes_timing, /^Wall-clock medians of the full sweep on M\./);
  assert.match(
    notes.passes_timing,
    /2 of 3 configurations with n ≥ 256 miss the target: b \(1 vs 1\.5\), c \(2 vs 1\.5\)\.$/,
  );
  assert.match(notes.unit_costs_timing, /as much as 70 FLOPs of matrix product here, a relu 60;/);
  assert.match(notes.ratio_tanh, /measured ratio −20 % from the FLOP ratio/); // median of 0.8, 2/3, 4/3
});

Deno.test("the tables survive the unit boundary: encoded in CSV column order, decoded to the same rows", () => {
  const rows = flopTable(costConfigs("quick"));
  const tables = { flops: rows, ratio_limit: [], passes_timing: [], unit_costs_timing: [] };
  const csv = encodeTables(tables);
  assert.deepEqual(decodeTables(csv).flops, rows);
  assert.deepEqual(Object.keys(csv.flops[0]).slice(-3), ["product_ratio", "flop_ratio", "limit"]);
});
