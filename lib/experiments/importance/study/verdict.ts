/**
 * The fair study's verdict: for every cell that is not uniform, the ratio to tuned uniform of the
 * time (and forward-equivalents) to the early and the late target, paired by evaluation seed,
 * with a bootstrap interval; the same ratio split into the iteration gain and the step-cost ratio
 * (why a sampler wins or loses); and the training loss at equal wall-clock time and at equal
 * forward-equivalents against tuned uniform (the phase diagram's colour).
 *
 * How +∞ is read. A seed on which the sampler never reaches the target within its run counts as
 * +∞ seconds: the ratio of means is then +∞ and so is the interval's high end (the resamples that
 * leave that seed out give the finite low end). So a sampler that misses the target on any seed
 * can never be said to win. A seed on which tuned uniform itself never reaches the target (or
 * reaches it at 0 s) cannot be paired and is left out; `seeds` counts the pairs kept.
 *
 * @module
 */
import { type BootstrapInterval, pairedRatioBootstrap } from "../../../bootstrap.ts";
import type { Random } from "../../../random.ts";
import { BUDGET_FRACTIONS, TARGET_LEVELS, type TargetLevel } from "./ladder.ts";
import { baselineOf, cellKey, lastWithin, regimeName, type StudyRun } from "./runs.ts";
import type {
  EqualTimeLossRow,
  EqualTimeSummaryRow,
  TimeToTargetRow,
  VerdictFactorRow,
  VerdictRow,
} from "./tables.ts";

/** Options of the bootstraps. */
export interface VerdictOptions {
  /** The generator; each row forks its own stream from it, in table order. */
  random: Random;
  /** Resamples per interval (default: pairedRatioBootstrap's 10,000). */
  resamples?: number;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
/** A ratio, or null when it is not a number (0/0, ∞/∞). */
const ratio = (a: number, b: number) => Number.isNaN(a / b) ? null : a / b;

/** The cells that are not uniform, once each, in the runs' (canonical) order. */
function comparedCells(runs: readonly StudyRun[]): StudyRun["cell"][] {
  const seen = new Map<string, StudyRun["cell"]>();
  for (const r of runs) if (r.cell.sampler !== "uniform") seen.set(cellKey(r.cell), r.cell);
  return [...seen.values()];
}

/**
 * `verdict` and `verdict_factors_timing`: per cell that is not uniform and per level (early,
 * late), the paired ratio of means of the seconds to the target (sampler over tuned uniform) with
 * its 95 % percentile-bootstrap interval over seeds, the ratio of the forward-equivalents, and the
 * factors: iteration ratio × step-cost ratio = time ratio.
 *
 * @example A sampler that needs half the steps at the same cost per step takes half the time
 * ```ts
 * import { verdictRows } from "@lib/experiments/importance/study/verdict.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const ttt = (sampler: "uniform" | "isgd", seed: number, steps: number) => ({
 *   ...cell, sampler, eta: 0.1, seed, fraction: 1, level: "late", target_loss: 0.1, reached: true,
 *   steps, forward_equivalents: 24 * steps, seconds: steps / 100,
 * });
 * const rows = [1, 2, 3].flatMap((s) => [ttt("uniform", s, 100 * s), ttt("isgd", s, 50 * s)]);
 * const runs = rows.map((r) => ({ cell: { ...cell, sampler: r.sampler }, eta: 0.1, seed: r.seed, budget: 1, points: [] }));
 * const { verdict, factors } = verdictRows(runs, rows, { random: new Random(1), resamples: 100 });
 * assert.deepEqual(verdict.map((v) => [v.regime, v.time_ratio, v.fe_ratio, v.seeds]), [["mnist b=8 constant early", null, null, 0], ["mnist b=8 constant late", 0.5, 0.5, 3]]);
 * assert.equal(factors[1].iteration_ratio! * factors[1].step_cost_ratio!, 0.5);
 * ```
 */
export function verdictRows(
  runs: readonly StudyRun[],
  times: readonly TimeToTargetRow[],
  options: VerdictOptions,
): { verdict: VerdictRow[]; factors: VerdictFactorRow[] } {
  const at = new Map(times.map((t) => [`${cellKey(t)}|${t.seed}|${t.fraction}`, t]));
  const verdict: VerdictRow[] = [], factors: VerdictFactorRow[] = [];
  for (const cell of comparedCells(runs)) {
    const seeds = runs.filter((r) => cellKey(r.cell) === cellKey(cell)).map((r) => r.seed);
    for (const level of Object.keys(TARGET_LEVELS) as TargetLevel[]) {
      const random = options.random.fork(), fraction = TARGET_LEVELS[level];
      const regime = regimeName(cell, level);
      const pairs = seeds.flatMap((seed) => {
        const x = at.get(`${cellKey(cell)}|${seed}|${fraction}`);
        const u = at.get(`${cellKey(baselineOf(cell))}|${seed}|${fraction}`);
        return x && u && u.reached && u.seconds > 0 && u.steps > 0 ? [{ x, u }] : [];
      });
      const target = pairs[0]?.u.target_loss ??
        times.find((t) => cellKey(t) === cellKey(cell) && t.fraction === fraction)?.target_loss ??
        NaN;
      const both = pairs.filter((p) => p.x.reached);
      const total = (
        ps: typeof pairs,
        side: "x" | "u",
        m: "steps" | "seconds" | "forward_equivalents",
      ) => sum(ps.map((p) => p[side][m]));
      let ci: BootstrapInterval | undefined;
      if (pairs.length > 0) {
        ci = pairedRatioBootstrap(pairs.map((p) => p.x.seconds), pairs.map((p) => p.u.seconds), {
          random,
          resamples: options.resamples,
        });
      }
      const feRatio = ratio(
        total(pairs, "x", "forward_equivalents"),
        total(pairs, "u", "forward_equivalents"),
      );
      const perStep = (m: "seconds" | "forward_equivalents") =>
        both.length === 0 ? null : ratio(
          total(both, "x", m) / total(both, "x", "steps"),
          total(both, "u", m) / total(both, "u", "steps"),
        );
      verdict.push({
        sampler: cell.sampler,
        regime,
        time_ratio: ci?.estimate ?? null,
        time_ratio_low: ci?.low ?? null,
        time_ratio_high: ci?.high ?? null,
        fe_ratio: pairs.length > 0 ? feRatio : null,
        seeds: pairs.length,
      });
      factors.push({
        ...cell,
        level,
        regime,
        target_loss: target,
        seeds: pairs.length,
        reached: both.length,
        iteration_ratio: pairs.length > 0
          ? ratio(total(pairs, "x", "steps"), total(pairs, "u", "steps"))
          : null,
        step_cost_ratio: perStep("seconds"),
        time_ratio: ci?.estimate ?? null,
        fe_step_ratio: perStep("forward_equivalents"),
        fe_ratio: pairs.length > 0 ? feRatio : null,
      });
    }
  }
  return { verdict, factors };
}

/**
 * `equal_time_loss_timing` and `equal_time_loss_summary_timing`: per cell that is not uniform
 * and per seed, log10 of its training loss over tuned uniform's (same seed) at the late
 * equal-wall-clock budget (`secondsBudgets`' late entry, each run at its last evaluation within
 * it) and at the late budget in forward-equivalents; per cell, the geometric mean of the ratios
 * over seeds with its paired bootstrap interval. Pairs where uniform's loss is not finite and > 0,
 * or the sampler's is 0, are left out of the summary (+∞, a diverged sampler, stays in).
 *
 * @example A sampler ten times lower at equal time on every seed
 * ```ts
 * import { equalTimeLossRows } from "@lib/experiments/importance/study/verdict.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const run = (sampler: "uniform" | "isgd", seed: number, loss: number) => ({ cell: { ...cell, sampler }, eta: 0.1, seed, budget: 10,
 *   points: [{ step: 0, forward_equivalents: 0, train_loss: 2, test_error: null, seconds: 0 }, { step: 1, forward_equivalents: 10, train_loss: loss, test_error: null, seconds: 1 }] });
 * const runs = [1, 2].flatMap((s) => [run("uniform", s, 0.5), run("isgd", s, 0.05)]);
 * const seconds = new Map([[JSON.stringify(["mnist", 8, null, "uniform", "constant"]), [0.5, 0.5, 1]]]);
 * const { rows, summary } = equalTimeLossRows(runs, seconds, { random: new Random(1), resamples: 100 });
 * assert.deepEqual(rows.map((r) => r.log10_ratio_time), [-1, -1]);
 * assert.ok(Math.abs(summary[0].loss_ratio_time! - 0.1) < 1e-15 && summary[0].seeds === 2);
 * ```
 */
export function equalTimeLossRows(
  runs: readonly StudyRun[],
  secondsBudgets: ReadonlyMap<string, readonly number[]>,
  options: VerdictOptions,
): { rows: EqualTimeLossRow[]; summary: EqualTimeSummaryRow[] } {
  const late = BUDGET_FRACTIONS.indexOf(TARGET_LEVELS.late);
  const byKey = new Map(runs.map((r) => [`${cellKey(r.cell)}|${r.seed}`, r]));
  const lossAt = (r: StudyRun, by: "forward_equivalents" | "seconds", budget: number) =>
    lastWithin(r.points, by, budget)?.train_loss ?? NaN;
  const rows: EqualTimeLossRow[] = [], summary: EqualTimeSummaryRow[] = [];
  for (const cell of comparedCells(runs)) {
    const random = options.random.fork();
    const seconds = secondsBudgets.get(cellKey(baselineOf(cell)))?.[late] ?? NaN;
    const pairs: { xt: number; ut: number; xf: number; uf: number }[] = [];
    for (const run of runs.filter((r) => cellKey(r.cell) === cellKey(cell))) {
      const base = byKey.get(`${cellKey(baselineOf(cell))}|${run.seed}`);
      if (base === undefined) continue;
      const fe = TARGET_LEVELS.late * run.budget;
      const p = {
        xt: lossAt(run, "seconds", seconds),
        ut: lossAt(base, "seconds", seconds),
        xf: lossAt(run, "forward_equivalents", fe),
        uf: lossAt(base, "forward_equivalents", fe),
      };
      rows.push({
        ...cell,
        seed: run.seed,
        eta: run.eta,
        seconds_budget: seconds,
        log10_ratio_time: Math.log10(p.xt / p.ut),
        fe_budget: fe,
        log10_ratio_fe: Math.log10(p.xf / p.uf),
      });
      const usable = (x: number, u: number) => u > 0 && u < Infinity && x > 0;
      if (usable(p.xt, p.ut) && usable(p.xf, p.uf)) pairs.push(p);
    }
    const interval = (x: number[], u: number[]) =>
      pairs.length === 0 ? undefined : pairedRatioBootstrap(x, u, {
        random,
        resamples: options.resamples,
        statistic: "geometricMean",
      });
    const t = interval(pairs.map((p) => p.xt), pairs.map((p) => p.ut));
    const f = interval(pairs.map((p) => p.xf), pairs.map((p) => p.uf));
    summary.push({
      ...cell,
      regime: regimeName(cell),
      seeds: pairs.length,
      loss_ratio_time: t?.estimate ?? null,
      loss_ratio_time_low: t?.low ?? null,
      loss_ratio_time_high: t?.high ?? null,
      loss_ratio_fe: f?.estimate ?? null,
      loss_ratio_fe_low: f?.low ?? null,
      loss_ratio_fe_high: f?.high ?? null,
    });
  }
  return { rows, summary };
}
