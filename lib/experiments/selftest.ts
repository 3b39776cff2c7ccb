/**
 * A small reproduction for testing the pipeline itself (resume after a kill, shards, workers):
 * six units, each a deterministic computation followed by a short pause. Registered only when
 * the environment variable SGDLAB_SELFTEST is 1. For tests of failures, the unit whose id is in
 * SGDLAB_SELFTEST_FAIL throws, and `repro` kills itself at the step of replacing a combined set
 * named in SGDLAB_SELFTEST_KILL_AT.
 *
 * @module
 */
import { Random } from "../random.ts";
import { mean } from "../stats.ts";
import { lineChart } from "../plot.ts";
import { concatTables, unitReproduction } from "./reproduction.ts";

/** The selftest reproduction: unit k draws 1000 normals from seed + k and reports their moments. */
export const selftest = unitReproduction({
  name: "selftest",
  description: "pipeline self-test: six small deterministic units",
  units: () => [0, 1, 2, 3, 4, 5].map((k) => ({ id: `unit-${k}`, params: { k, pauseMs: 250 } })),
  async runUnit(unit, options) {
    const k = Number(unit.params.k);
    if (Deno.env.get("SGDLAB_SELFTEST_FAIL") === unit.id) {
      throw new Error(`selftest unit ${unit.id} failed on purpose (SGDLAB_SELFTEST_FAIL)`);
    }
    const random = new Random(options.seed * 1000 + k);
    let s = 0, s2 = 0;
    for (let i = 0; i < 1000; i++) {
      const v = random.normal();
      s += v;
      s2 += v * v;
    }
    await new Promise((r) => setTimeout(r, Number(unit.params.pauseMs)));
    return {
      tables: {
        moments: [{ k, mean: s / 1000, second_moment: s2 / 1000, edge: k === 0 ? -0 : NaN }],
      },
    };
  },
  headline: (output) => {
    const means = output.tables.moments.map((r) => Number(r.mean));
    return [`${means.length} units, mean of their sample means ${mean(means).toFixed(4)}`];
  },
  combine(outputs) {
    const tables = concatTables(outputs);
    return Promise.resolve({
      tables,
      charts: { moments: lineChart(tables.moments, { x: "k", y: "mean", title: "Means" }) },
      notes: { moments: "Sample means of 1000 standard normals per unit." },
    });
  },
});
