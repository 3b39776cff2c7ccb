/**
 * Combining the importance reproduction's units: the curves (mean and spread over seeds), the
 * iterations, forward-equivalents and seconds to a target training loss, the step costs, and
 * the tables the units wrote, all typed; then the charts and notes made from them.
 *
 * @module
 */
import { significant } from "../../format.ts";
import { mean, sd } from "../../stats.ts";
import type { ReproductionOutput, UnitOutput } from "../reproduction.ts";
import { importanceCharts } from "./charts.ts";
import { importanceNotes } from "./notes.ts";
import type { ImportanceProfile } from "./profile.ts";
import { type ImportanceSamplerId, SAMPLERS } from "./registry.ts";
import {
  type CurveRow,
  type CurveTimingRow,
  encodeTables,
  type ImportanceTables,
  type ModelledRow,
  type ModelledSummaryRow,
  type SecondsSummary,
  type StepCostRow,
  type StepsSummaryRow,
  type Summary,
  type SummaryHead,
  type TimeSummaryRow,
  type TimeToTargetRow,
} from "./tables.ts";
import {
  decodeUnits,
  type HistoryRow,
  type HistoryTimingRow,
  type InterleavedCostRow,
} from "./unit_tables.ts";

/** The key of a run's evaluation in the timing tables. */
const at = (seed: number, sampler: string, step: number) => `${seed}|${sampler}|${step}`;

/**
 * The target training loss: the mean over seeds of uniform SGD's training loss halfway through
 * its run, to 3 significant digits. Uniform reaches it about halfway, which leaves room on both
 * sides to see another sampler reach it sooner or later.
 */
function targetLoss(history: readonly HistoryRow[], steps: number): number {
  const half = history.filter((r) => r.sampler === "uniform" && r.step === steps / 2);
  return significant(mean(half.map((r) => r.train_loss)), 3);
}

/** Per sampler and seed: the first evaluation at which the training loss is <= target. */
function reachTarget(
  history: readonly HistoryRow[],
  timing: readonly HistoryTimingRow[],
  options: { target: number; samplers: readonly ImportanceSamplerId[]; seeds: number[] },
): TimeToTargetRow[] {
  const seconds = new Map(timing.map((r) => [at(r.seed, r.sampler, r.step), r.seconds]));
  const rows: TimeToTargetRow[] = [];
  for (const sampler of options.samplers) {
    for (const seed of options.seeds) {
      const hit = history.find((r) =>
        r.sampler === sampler && r.seed === seed && r.train_loss <= options.target
      );
      rows.push({
        sampler,
        seed,
        target_loss: options.target,
        iterations: hit ? hit.step : null,
        forward_equivalents: hit ? hit.forward_equivalents : null,
        seconds: hit ? seconds.get(at(seed, sampler, hit.step)) ?? null : null,
      });
    }
  }
  return rows;
}

/**
 * Seconds to the target from the interleaved step costs of the same seed: the steps taken with
 * importance sampling off and on, each priced at its kind's median step time. Load from other
 * processes falls on every kind alike there, so this is the steadier estimate.
 */
function modelledTimeToTarget(
  history: readonly HistoryRow[],
  costs: readonly InterleavedCostRow[],
  reach: readonly TimeToTargetRow[],
): ModelledRow[] {
  return reach.map((r) => {
    const hit = r.iterations === null
      ? undefined
      : history.find((h) =>
        h.sampler === r.sampler && h.seed === r.seed && h.step === r.iterations
      );
    const ms = (kind: string) =>
      costs.find((c) => c.seed === r.seed && c.kind === kind)?.median_ms ?? NaN;
    const { off, on } = SAMPLERS[r.sampler].steps;
    const importance = hit ? hit.importance_steps : null;
    return {
      sampler: r.sampler,
      seed: r.seed,
      target_loss: r.target_loss,
      iterations: r.iterations,
      importance_steps: importance,
      off_step_ms: ms(off),
      on_step_ms: ms(on),
      seconds: hit && importance !== null
        ? ((hit.step - importance) * ms(off) + importance * ms(on)) / 1000
        : null,
    };
  });
}

/** Mean and sd over seeds of the curves, per sampler and evaluation step. */
function curves(
  history: readonly HistoryRow[],
  timing: readonly HistoryTimingRow[],
  samplers: readonly ImportanceSamplerId[],
): { curves: CurveRow[]; timing: CurveTimingRow[] } {
  const seconds = new Map(timing.map((r) => [at(r.seed, r.sampler, r.step), r.seconds]));
  const out: CurveRow[] = [], outTiming: CurveTimingRow[] = [];
  for (const sampler of samplers) {
    const rows = history.filter((r) => r.sampler === sampler);
    const steps = [...new Set(rows.map((r) => r.step))].sort((a, b) => a - b);
    for (const step of steps) {
      const here = rows.filter((r) => r.step === step);
      const loss = here.map((r) => r.train_loss), err = here.map((r) => r.test_error ?? NaN);
      const fe = here.map((r) => r.forward_equivalents);
      out.push({
        sampler,
        step,
        seeds: here.length,
        forward_equivalents: mean(fe),
        forward_equivalents_sd: sd(fe),
        train_loss: mean(loss),
        train_loss_sd: sd(loss),
        train_loss_min: Math.min(...loss),
        train_loss_max: Math.max(...loss),
        test_error: mean(err),
        test_error_sd: sd(err),
      });
      const sec = here.map((r) => seconds.get(at(r.seed, sampler, step)) ?? NaN);
      outTiming.push({ sampler, step, seconds: mean(sec), seconds_sd: sd(sec) });
    }
  }
  return { curves: out, timing: outTiming };
}

/** A sampler's rows of a table to the target, and the head of its summary row. */
function reached<R extends TimeToTargetRow | ModelledRow>(
  reach: readonly R[],
  sampler: ImportanceSamplerId,
): { head: SummaryHead; hits: R[] } {
  const mine = reach.filter((r) => r.sampler === sampler);
  const hits = mine.filter((r) => r.iterations !== null);
  const head = {
    sampler,
    target_loss: mine[0]?.target_loss ?? null,
    reached: `${hits.length}/${mine.length}`,
  };
  return { head, hits };
}

/**
 * Mean and sd over the seeds that reach the target, and the ratio of the mean to uniform's
 * mean (`uniform`); nulls when no seed reaches it.
 */
function summary(values: number[], uniform: number): Summary {
  if (values.length === 0) return { mean: null, sd: null, vs_uniform: null };
  const mu = mean(values);
  return { mean: mu, sd: sd(values), vs_uniform: mu / uniform };
}

/** A measure of a row to the target; null reads as NaN. */
type Measure<R> = (r: R) => number;
const iterations: Measure<TimeToTargetRow> = (r) => r.iterations ?? NaN;
const forwardEquivalents: Measure<TimeToTargetRow> = (r) => r.forward_equivalents ?? NaN;
const seconds: Measure<TimeToTargetRow | ModelledRow> = (r) => r.seconds ?? NaN;

/** Each sampler's summary of the measures, against the first sampler's (uniform's) means. */
function summaries<R extends TimeToTargetRow | ModelledRow>(
  reach: readonly R[],
  samplers: readonly ImportanceSamplerId[],
  measure: Measure<R>,
): Summary[] {
  const uniform = mean(reached(reach, samplers[0]).hits.map(measure));
  return samplers.map((s) => summary(reached(reach, s).hits.map(measure), uniform));
}

/** `steps_to_target_summary`: iterations and forward-equivalents to the target. */
function stepsSummary(
  reach: readonly TimeToTargetRow[],
  samplers: readonly ImportanceSamplerId[],
): StepsSummaryRow[] {
  const it = summaries(reach, samplers, iterations);
  const fe = summaries(reach, samplers, forwardEquivalents);
  return samplers.map((s, k) => ({
    ...reached(reach, s).head,
    iterations_mean: it[k].mean,
    iterations_sd: it[k].sd,
    iterations_vs_uniform: it[k].vs_uniform,
    forward_equivalents_mean: fe[k].mean,
    forward_equivalents_sd: fe[k].sd,
    forward_equivalents_vs_uniform: fe[k].vs_uniform,
  }));
}

function secondsSummary(s: Summary): SecondsSummary {
  return { seconds_mean: s.mean, seconds_sd: s.sd, seconds_vs_uniform: s.vs_uniform };
}

/** `time_to_target_summary_timing`: {@link stepsSummary} and the seconds. */
function timeSummary(
  reach: readonly TimeToTargetRow[],
  samplers: readonly ImportanceSamplerId[],
): TimeSummaryRow[] {
  const sec = summaries(reach, samplers, seconds);
  return stepsSummary(reach, samplers).map((row, k) => ({ ...row, ...secondsSummary(sec[k]) }));
}

/** `modelled_time_to_target_summary_timing`: the priced seconds. */
function modelledSummary(
  modelled: readonly ModelledRow[],
  samplers: readonly ImportanceSamplerId[],
): ModelledSummaryRow[] {
  const sec = summaries(modelled, samplers, seconds);
  return samplers.map((s, k) => ({ ...reached(modelled, s).head, ...secondsSummary(sec[k]) }));
}

/** Wall seconds and forward-equivalents per step of each run, and their ratio to uniform's. */
function stepCost(
  history: readonly HistoryRow[],
  timing: readonly HistoryTimingRow[],
  profile: ImportanceProfile,
): StepCostRow[] {
  const T = profile.steps, rows: StepCostRow[] = [];
  const last = <R extends HistoryRow | HistoryTimingRow>(
    rows: readonly R[],
    s: string,
    seed: number,
  ) => rows.find((r) => r.sampler === s && r.seed === seed && r.step === T)!;
  for (const seed of new Set(history.map((r) => r.seed))) {
    const u = last(timing, "uniform", seed).seconds / T;
    const uf = last(history, "uniform", seed).forward_equivalents / T;
    for (const sampler of profile.samplers) {
      const sec = last(timing, sampler, seed).seconds / T;
      const fe = last(history, sampler, seed).forward_equivalents / T;
      rows.push({
        sampler,
        seed,
        milliseconds_per_step: 1000 * sec,
        forward_equivalents_per_step: fe,
        wall_vs_uniform: sec / u,
        forward_equivalents_vs_uniform: fe / uf,
      });
    }
  }
  return rows;
}

/** Options of {@link combineImportance}. */
export interface CombineOptions {
  /** The reproduction's seed. */
  seed: number;
  /** The sizes the units ran with. */
  profile: ImportanceProfile;
}

/** Where every unit read Fashion-MNIST from: none (MNIST) or one. */
function oneSource(sources: readonly { source: string }[]): string | undefined {
  const distinct = [...new Set(sources.map((r) => r.source))];
  if (distinct.length > 1) {
    throw new RangeError(
      `cannot combine the importance reproduction: its units read Fashion-MNIST from different sources (${
        distinct.join(", ")
      }); rerun them from one`,
    );
  }
  return distinct[0];
}

/**
 * Every table of the reproduction, typed, from every unit's stored output (in the units' order).
 *
 * @throws {RangeError} when the outputs lack a uniform run or mix Fashion-MNIST sources
 * @throws {TypeError} when a stored value has the wrong type (naming table, row and column)
 * @example Without a uniform run there is nothing to compare with
 * ```ts
 * import { combineImportanceTables } from "@lib/experiments/importance/combine.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const options = { seed: 1, profile: importanceProfiles.quick };
 * assert.throws(() => combineImportanceTables([{ tables: { history: [] } }], options), /no uniform run/);
 * ```
 */
export function combineImportanceTables(
  outputs: readonly UnitOutput[],
  options: CombineOptions,
): ImportanceTables {
  const P = options.profile, units = decodeUnits(outputs);
  const { history, history_timing: timing } = units;
  if (!history.some((r) => r.sampler === "uniform")) {
    throw new RangeError("cannot combine the importance reproduction: no uniform run");
  }
  const source = oneSource(units.data_source);
  const seeds = [...new Set(history.map((r) => r.seed))];
  const target = targetLoss(history, P.steps);
  const reach = reachTarget(history, timing, { target, samplers: P.samplers, seeds });
  const c = curves(history, timing, P.samplers);
  const costs = units.step_cost_interleaved_timing;
  const modelled = modelledTimeToTarget(history, costs, reach);
  const tables: ImportanceTables = {
    history,
    history_timing: timing,
    curves: c.curves,
    curves_timing: c.timing,
    time_to_target: reach,
    steps_to_target: reach.map(({ seconds: _, ...rest }) => rest),
    steps_to_target_summary: stepsSummary(reach, P.samplers),
    time_to_target_summary_timing: timeSummary(reach, P.samplers),
    step_cost_timing: stepCost(history, timing, P),
    step_cost_interleaved_timing: costs,
    modelled_time_to_target_timing: modelled,
    modelled_time_to_target_summary_timing: modelledSummary(modelled, P.samplers),
    variance: units.variance,
    variance_check: units.variance_check,
    correlation: units.correlation,
    score_points: units.score_points,
    speed: units.speed,
    theta_star: units.theta_star,
  };
  if (source !== undefined) {
    tables.data_source = [{
      dataset: P.dataset,
      source,
      train_size: P.trainSize,
      test_size: P.testSize,
      units: units.data_source.length,
    }];
  }
  return tables;
}

/**
 * The tables (as CSV rows), charts and notes from every unit's output (in the units' order):
 * {@link combineImportanceTables}, drawn and described.
 *
 * @throws {RangeError} as {@link combineImportanceTables}
 * @example
 * ```ts
 * import { combineImportance } from "@lib/experiments/importance/combine.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const options = { seed: 1, profile: importanceProfiles.quick };
 * assert.throws(() => combineImportance([{ tables: { history: [] } }], options), /no uniform run/);
 * ```
 */
export function combineImportance(
  outputs: readonly UnitOutput[],
  options: CombineOptions,
): ReproductionOutput {
  const tables = combineImportanceTables(outputs, options);
  return {
    tables: encodeTables(tables),
    charts: importanceCharts(tables, options.profile),
    notes: importanceNotes(tables, options.profile),
  };
}
