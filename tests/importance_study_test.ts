/**
 * The `importance` reproduction with its fair study wired in, on tiny profiles: the study's units
 * come before K&F's, each kind is keyed by its own code, the combined output holds the tables
 * with the columns, a rerun gives the same deterministic cells, and combining stored units
 * gives the run's tables.
 *
 * @module
 */
import assert from "node:assert/strict";
import { TINY_STUDY } from "./study_fixtures.ts";
import { join } from "node:path";
import { type CsvRow, formatCsv, parseCsv } from "@lib/io.ts";
import {
  type ImportanceProfile,
  importanceProfiles,
  importanceReproduction,
  type StudyProfile,
} from "@lib/experiments/importance/mod.ts";
import { planUnits, runUnits } from "@lib/experiments/pipeline.ts";

const kf: ImportanceProfile = {
  ...importanceProfiles.quick,
  trainSize: 300,
  testSize: 100,
  hidden: [8],
  batchSize: 8,
  steps: 20,
  evaluateEvery: 10,
  trainSubset: 100,
  seeds: 1,
  samplers: ["uniform", "upper-bound"],
  checkpoints: [0, 20],
  analysisSize: 100,
  presamples: 2,
  thetaStarSteps: 10,
  varianceCheckDraws: 10,
  scatterPoints: 5,
  costRounds: 2,
};

/** The tiny study with three of its samplers, at a constant η only. */
const study: StudyProfile = {
  ...TINY_STUDY,
  cells: TINY_STUDY.cells
    .filter((c) => ["uniform", "upper-bound", "stale-scores"].includes(c.sampler))
    .map((c) => ({ ...c, schedules: ["constant"] })),
  diagnosticAt: [1],
};

const reproduction = importanceReproduction(
  { quick: kf, full: kf },
  { study: { quick: study, full: null } },
);
const options = { seed: 3, profile: "quick" as const };
const first = await reproduction.run(options);

/** The cells that must not change between runs: wall-clock tables and columns left out. */
function deterministic(tables: Record<string, CsvRow[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, rows] of Object.entries(tables)) {
    if (name.endsWith("_timing")) continue;
    const kept = name === "time_to_target"
      ? rows.map(({ seconds: _, ...r }) => r)
      : name === "budget"
      ? rows.filter((r) => r.budget_kind !== "seconds")
      : name === "verdict"
      ? rows.map(({ time_ratio: _, time_ratio_low: _l, time_ratio_high: _h, ...r }) => r)
      : rows;
    out[name] = formatCsv(kept);
  }
  return out;
}

Deno.test("the study's units come before K&F's, and each kind is keyed by its own run module", async () => {
  const units = reproduction.units!(options);
  const kinds = units.map((u) => u.params.study === true);
  assert.deepEqual(kinds, [true, true, true, true, false, false]);
  assert.equal(units[3].id, "study-costs-mnist-b16"); // the step prices of (data set, b)
  const out = await Deno.makeTempDir();
  try {
    const planned = await planUnits([reproduction], { ...options, out });
    assert.equal(planned[0].code, planned[2].code);
    assert.equal(planned[4].code, planned[5].code);
    assert.notEqual(planned[0].code, planned[4].code);
    assert.notEqual(planned[3].code, planned[0].code, "the cost unit runs its own module");
    assert.notEqual(planned[3].code, planned[4].code);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  assert.equal(
    importanceReproduction({ quick: kf, full: kf }).units!(options).length,
    2,
    "no study profile: K&F's units only",
  );
});

Deno.test("eta_grid, budget and verdict hold the issue's columns", () => {
  const header = (name: string) => formatCsv(first.tables[name]).split("\n")[0];
  assert.equal(
    header("verdict"),
    "sampler,regime,time_ratio,time_ratio_low,time_ratio_high,fe_ratio,seeds",
  );
  assert.equal(
    header("budget"),
    "dataset,batch_size,presample,sampler,seed,eta,schedule,budget_kind,budget,train_loss,test_error",
  );
  assert.match(header("eta_grid"), /sampler/);
  assert.match(header("eta_grid"), /eta/);
  // every η of the grid on the one tuning seed, per cell
  assert.equal(first.tables.eta_grid.length, study.cells.length * study.etaGrid.length);
  const samplers = new Set(first.tables.verdict.map((r) => r.sampler));
  assert.deepEqual([...samplers].sort(), ["stale-scores", "upper-bound"]);
  for (const r of first.tables.verdict) assert.equal(r.seeds, study.evaluationSeeds);
  // the K&F part is still there, beside the study
  assert.ok(first.tables.time_to_target.length > 0);
  assert.ok("phase_diagram" in first.charts);
  assert.equal(header("verdict_measured_timing"), header("verdict"));
});

Deno.test("the verdict's seconds are priced at the step costs measured side by side", () => {
  const costs = first.tables.study_step_costs_timing;
  assert.deepEqual(costs.map((r) => r.sampler), ["uniform", "upper-bound", "stale-scores"]);
  const ms = (sampler: string) => Number(costs.find((r) => r.sampler === sampler)!.median_ms);
  const factors = first.tables.verdict_factors_timing.filter((r) => r.sampler === "upper-bound");
  assert.ok(factors.length > 0);
  for (const r of factors) {
    if (r.step_cost_ratio === null) continue;
    const expected = ms("upper-bound") / ms("uniform");
    assert.ok(Math.abs(Number(r.step_cost_ratio) / expected - 1) < 1e-12, `${r.regime}`);
  }
});

Deno.test("a rerun of the reproduction with its study gives the same deterministic cells", async () => {
  const again = await reproduction.run(options);
  const a = deterministic(first.tables), b = deterministic(again.tables);
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const name of Object.keys(a)) assert.equal(a[name], b[name], name);
});

Deno.test("combining stored units, study and K&F alike, gives the run's tables", async () => {
  const units = reproduction.units!(options);
  const outputs = [];
  for (const u of units) {
    outputs.push(JSON.parse(JSON.stringify(await reproduction.runUnit!(u, options))));
  }
  const combined = await reproduction.combine!(outputs, options);
  const a = deterministic(combined.tables), b = deterministic(first.tables);
  for (const name of Object.keys(b)) assert.equal(a[name], b[name], name);
  assert.deepEqual(Object.keys(combined.charts), Object.keys(first.charts));
  assert.ok(reproduction.headline!(combined).length >= 1);
});

Deno.test("publish_study writes the study's verdict from its stored units alone, and names the units still missing", async () => {
  const { publishStudy } = await import("../tools/publish_study.ts");
  const out = await Deno.makeTempDir(), to = await Deno.makeTempDir();
  try {
    const publish = () => publishStudy(out, { ...options, to, command: "test", reproduction });
    await assert.rejects(publish(), /4 of 4 study units have no stored output/);
    const planned = await planUnits([reproduction], { ...options, out });
    // only the study's units: K&F's are not needed
    await runUnits(planned.filter((p) => p.unit.params.study === true), {
      ...options,
      workers: 1,
    });
    const done = await publish();
    assert.equal(done.units, 4);
    const read = async (name: string) =>
      parseCsv(await Deno.readTextFile(join(to, "importance", `${name}.csv`)));
    assert.deepEqual(await read("eta_grid"), first.tables.eta_grid);
    const deterministicVerdict = (rows: CsvRow[]) =>
      rows.map(({ sampler, regime, fe_ratio, seeds }) => ({ sampler, regime, fe_ratio, seeds }));
    assert.deepEqual(
      deterministicVerdict(await read("verdict")),
      deterministicVerdict(first.tables.verdict),
    );
    assert.match(await Deno.readTextFile(join(to, "importance", "README.md")), /4 study units/);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(to, { recursive: true });
  }
});
