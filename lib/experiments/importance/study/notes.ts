/**
 * The fair study's notes: one paragraph per table and chart saying how to read it, and the
 * verdict in words, every number taken from the typed tables; and the console headline.
 *
 * @module
 */
import { prose } from "../../../format.ts";
import type { ReproductionOutput } from "../../reproduction.ts";
import { BUDGET_FRACTIONS, LADDER_FRACTIONS, TARGET_LEVELS } from "./ladder.ts";
import { STUDY_SAMPLER_SPECS } from "./registry.ts";
import { regimeName } from "./runs.ts";
import type { CsvRow } from "../../../io.ts";
import type { TypedRow } from "../../csv_rows.ts";
import { type Columns, decodeRows } from "../columns.ts";
import {
  EQUAL_TIME_SUMMARY,
  type EqualTimeSummaryRow,
  type StudyTables,
  VERDICT,
  VERDICT_FACTOR,
  type VerdictFactorRow,
  type VerdictRow,
} from "./tables.ts";

/** The issue's goal: a late-target time ratio at most this, … */
export const GOAL_RATIO = 0.75;
/** … with the interval's high end below this, … */
export const GOAL_HIGH = 1;
/** … over at least this many evaluation seeds. */
export const GOAL_SEEDS = 5;

const fmt = (v: number | null, digits = 3) =>
  v === null ? "none" : prose(v, { digits, exponentFrom: 1e5 });
const interval = (lo: number | null, hi: number | null) => `[${fmt(lo)}, ${fmt(hi)}]`;
const label = (s: VerdictRow["sampler"]) => STUDY_SAMPLER_SPECS[s].label;

/** A late verdict row with its factors. */
interface Standing {
  readonly v: VerdictRow;
  readonly f: VerdictFactorRow | undefined;
}

/**
 * The late-target verdict rows that have a ratio, best first (lowest time ratio, then lowest high
 * end), each with its factors; and those that meet the goal.
 */
function lateStandings(
  verdict: readonly VerdictRow[],
  factors: readonly VerdictFactorRow[],
): { ranked: Standing[]; winners: Standing[] } {
  const f = new Map(factors.map((r) => [`${r.sampler}|${r.regime}`, r]));
  const ranked = verdict
    .filter((v) => v.regime.endsWith(" late") && v.time_ratio !== null)
    .map((v) => ({ v, f: f.get(`${v.sampler}|${v.regime}`) }))
    .sort((a, b) =>
      a.v.time_ratio! - b.v.time_ratio! || (a.v.time_ratio_high ?? 0) - (b.v.time_ratio_high ?? 0)
    );
  const winners = ranked.filter(({ v }) =>
    v.time_ratio! <= GOAL_RATIO && v.time_ratio_high! < GOAL_HIGH && v.seeds >= GOAL_SEEDS
  );
  return { ranked, winners };
}

/** A standing in words: sampler, regime, ratio, interval, seeds. */
function standing({ v }: Standing): string {
  return `${label(v.sampler)} in ${v.regime}: ×${fmt(v.time_ratio)} tuned uniform's time ${
    interval(v.time_ratio_low, v.time_ratio_high)
  } over ${v.seeds} seeds`;
}

/** Why a ratio is what it is: iteration ratio × step-cost ratio. */
function why({ f }: Standing): string {
  if (f === undefined) return "";
  const [it, cost] = [fmt(f.iteration_ratio), fmt(f.step_cost_ratio)];
  return ` It needs ×${it} uniform's steps to the target, and each step costs ×${cost} ` +
    `uniform's seconds (×${fmt(f.fe_step_ratio)} its forward-equivalents): ${it} × ${cost} = ` +
    `${fmt(f.time_ratio)}.`;
}

/** The lowest loss ratio at equal time, in words. */
function bestEqualTime(summary: readonly EqualTimeSummaryRow[]): string {
  const best = summary.filter((r) => r.loss_ratio_time !== null)
    .sort((a, b) => a.loss_ratio_time! - b.loss_ratio_time!)[0];
  if (best === undefined) return "";
  return ` At equal wall-clock time (the late budget) the lowest training loss relative to tuned ` +
    `uniform is ×${fmt(best.loss_ratio_time)} ${
      interval(best.loss_ratio_time_low, best.loss_ratio_time_high)
    } (${label(best.sampler)}, ${best.regime}, geometric mean over ${best.seeds} seeds); at ` +
    `equal forward-equivalents the same cell is at ×${fmt(best.loss_ratio_fe)}.`;
}

/**
 * The verdict in words: whether any sampler reaches the late target in at most 0.75× tuned
 * uniform's time with the interval below 1 over at least 5 seeds; if none does, the regime that
 * comes closest and why (iteration gain × step-cost ratio).
 *
 * @example
 * ```ts
 * import { verdictParagraph } from "@lib/experiments/importance/study/notes.ts";
 * import assert from "node:assert/strict";
 * const verdict = [{ sampler: "loss", regime: "mnist b=8 k=3 constant late", time_ratio: 1.2, time_ratio_low: 1.1, time_ratio_high: 1.3, fe_ratio: 0.9, seeds: 5 }] as const;
 * const text = verdictParagraph({ verdict: [...verdict], verdict_factors_timing: [], equal_time_loss_summary_timing: [] });
 * assert.match(text, /No sampler reaches the late target/);
 * assert.match(text, /closest is loss \(presampled\) in mnist b=8 k=3 constant late: ×1.20/);
 * ```
 */
export function verdictParagraph(
  t: Pick<StudyTables, "verdict" | "verdict_factors_timing" | "equal_time_loss_summary_timing">,
): string {
  const { ranked, winners } = lateStandings(t.verdict, t.verdict_factors_timing);
  const goal = `at most ${GOAL_RATIO}× tuned uniform's wall-clock time with the 95 % interval's ` +
    `high end below ${GOAL_HIGH}, over at least ${GOAL_SEEDS} seeds`;
  const faster = ranked.filter(({ v }) => v.time_ratio! < 1).length;
  const count =
    ` ${faster} of the ${ranked.length} late-target comparisons are faster than tuned ` +
    `uniform on the point estimate.`;
  if (winners.length > 0) {
    return `The goal is met: ${winners.length} regime${
      winners.length === 1 ? " reaches" : "s reach"
    } the late target in ${goal}. The best is ${standing(winners[0])}.${why(winners[0])}${count}${
      bestEqualTime(t.equal_time_loss_summary_timing)
    }`;
  }
  if (ranked.length === 0) {
    return `No verdict: no late-target comparison could be paired with tuned uniform.`;
  }
  const closest = ranked[0];
  const few = closest.v.seeds < GOAL_SEEDS ? `, fewer than the goal's ${GOAL_SEEDS}` : "";
  return `No sampler reaches the late target in ${goal}. The closest is ${
    standing(closest)
  }${few}.${why(closest)}${count}${bestEqualTime(t.equal_time_loss_summary_timing)}`;
}

/**
 * One paragraph per table and chart of the study saying how to read it, and `study_verdict`
 * (`resamples`: the bootstrap's, as combine ran it; default 10,000).
 *
 * @example
 * ```ts
 * import { studyNotes } from "@lib/experiments/importance/study/notes.ts";
 * import { STUDY_TABLES, type StudyTables } from "@lib/experiments/importance/study/tables.ts";
 * import assert from "node:assert/strict";
 * const empty = Object.fromEntries(STUDY_TABLES.map((n) => [n, []])) as unknown as StudyTables;
 * const notes = studyNotes(empty);
 * for (const name of [...STUDY_TABLES, "phase_diagram", "time_ratio", "study_verdict"]) assert.ok(notes[name], name);
 * ```
 */
export function studyNotes(
  t: StudyTables,
  options: { resamples?: number; priced?: boolean } = {},
): Record<string, string> {
  const resamples = (options.resamples ?? 10_000).toLocaleString("en-US");
  const seconds = options.priced
    ? ` Seconds are priced: a run's seconds at step t are t × its sampler's median step time, ` +
      `measured for every sampler of a data set and b in interleaved rounds from the same θ ` +
      `(study_step_costs_timing.csv; the stale scores add their first scoring of all N at ` +
      `uniform's price per forward-equivalent), so that the load of the machine while each ` +
      `unit ran does not decide; verdict_measured_timing.csv has the ratios of the seconds ` +
      `measured during the runs.`
    : " Seconds are those measured during the runs (training only, not evaluation).";
  const tuning = [...new Set(t.eta_grid.map((r) => r.tuning_seeds))].join("; ");
  const chosen = t.eta_grid.filter((r) => r.chosen);
  const edges = chosen.filter((r) => r.edge !== null);
  const evaluation = [...new Set(t.budget.map((r) => r.seed))].sort((a, b) => a - b);
  const fractions = (fs: readonly number[]) => fs.map((f) => `${f}`).join(", ");
  const levels = Object.entries(TARGET_LEVELS).map(([l, f]) => `${l} = ${f}`).join(", ");
  const quantities = [...new Set(t.study_diagnostics.map((r) => r.quantity))];
  return {
    eta_grid: `Every η tried per cell (data set, b, k, sampler, schedule) on the tuning seeds ` +
      `(${tuning || "none"}), which are never evaluation seeds. mean_train_loss is the mean ` +
      `final training loss over them (+∞ when any diverged; diverged counts those runs); ` +
      `chosen marks the η of lowest mean (ties to the smaller η), recomputed here from this ` +
      `table and checked against the η the evaluation runs carry. edge says where the chosen η ` +
      `sits when it is at the grid's lower or upper end (the unit then widened the grid; round ` +
      `is the widening that added an η). ${chosen.length} cells, ${edges.length} of them still ` +
      `chosen at an edge${
        edges.length > 0
          ? ` (${
            edges.slice(0, 8).map((r) => `${r.sampler} ${regimeName(r)}: ${r.edge}`).join(", ")
          }${edges.length > 8 ? `, and ${edges.length - 8} more` : ""})`
          : ""
      }.`,
    budget: `The issue's columns (sampler, seed, eta, schedule, budget_kind, budget, ` +
      `train_loss, test_error), prefixed by dataset, batch_size and presample (k; empty for ` +
      `samplers without one). Each run's state at its last evaluation within the budget: for ` +
      `budget_kind forward_equivalents at ${
        fractions(BUDGET_FRACTIONS)
      } of the budget (early … late); for budget_kind seconds at tuned uniform's mean seconds ` +
      `over the evaluation seeds (${
        evaluation.join(", ")
      }) to those same forward-equivalent budgets: its equal-wall-clock budgets. train_loss is ` +
      `over the whole training set. A run that ended before a seconds budget is read at its ` +
      `last evaluation. The seconds rows are wall-clock numbers.`,
    study_targets: `The ladder of target losses per (data set, b, schedule): tuned uniform's ` +
      `mean training loss over the evaluation seeds at its last evaluation within ${
        fractions(LADDER_FRACTIONS)
      } of the budget (seeds whose loss there is not finite are left out; uniform_seeds ` +
      `counts the others). The verdict's levels: ${levels}.`,
    study_steps_to_target: `Per evaluation run and rung of the ladder, the steps and ` +
      `forward-equivalents of its first evaluation at or below the target (the evaluation ` +
      `interval is the resolution); Infinity when it never got there within its run (runs go ` +
      `past the budget, so a slower sampler can still reach uniform's late target). ` +
      `Deterministic.`,
    study_time_to_target_timing: "study_steps_to_target with the training seconds of that " +
      "evaluation (Infinity: never reached).",
    verdict: `The issue's verdict table, one row per cell that is not uniform and target level ` +
      `(regime = data set, b, k, schedule, level). time_ratio is the sampler's mean seconds to ` +
      `the target over tuned uniform's on the same evaluation seeds (ratio of means), with the ` +
      `95 % paired percentile-bootstrap interval over seeds (${resamples} resamples, seeded); ` +
      `fe_ratio the same in forward-equivalents (point estimate). A seed on which the sampler ` +
      `never reaches the target counts as +∞ seconds, so its ratio and interval's high end are ` +
      `Infinity: it cannot be said to win. Seeds on which tuned uniform itself never reaches ` +
      `the target are left out; seeds counts the pairs kept (empty ratios: none).${seconds}`,
    verdict_factors_timing: `Each verdict row as a product: iteration_ratio (steps to the ` +
      `target, sampler over tuned uniform, ratio of sums) × step_cost_ratio (seconds per step up ` +
      `to the target, on the seeds both reach) = time_ratio, and iteration_ratio × ` +
      `fe_step_ratio = fe_ratio. A sampler wins in time only where its iteration gain beats ` +
      `the extra cost of its steps.`,
    equal_time_loss_timing: `Per cell that is not uniform and evaluation seed: log10 of its ` +
      `training loss over tuned uniform's on the same seed, at the late equal-wall-clock budget ` +
      `(seconds_budget) and at the late budget in forward-equivalents (fe_budget), each run at ` +
      `its last evaluation within the budget; negative: the sampler is lower. +∞: it diverged.`,
    equal_time_loss_summary_timing: `Per cell, the geometric mean over seeds of those loss ` +
      `ratios with the paired 95 % bootstrap interval (statistic "geometricMean"); pairs where ` +
      `uniform's loss is not finite are left out.`,
    study_diagnostics: `The samplers' own measurements along their evaluation runs, passed ` +
      `through: ${quantities.join("; ") || "none"}.`,
    phase_diagram: `The phase diagram: per data set and schedule (rows) and sampler (columns), ` +
      `y = b and x = k (— for samplers without k), coloured by log10 of the geometric-mean ` +
      `training-loss ratio to tuned uniform at equal wall-clock time (late budget; ` +
      `equal_time_loss_summary_timing), on a diverging scale centred at 0: blue, the sampler ` +
      `ends lower (importance wins); red, uniform does. Each cell carries the ratio.`,
    time_ratio: `The verdict's time ratios with their 95 % intervals on a log axis, early and ` +
      `late target side by side, coloured by sampler; the dashed rules mark ${GOAL_RATIO} (the ` +
      `goal) and 1 (tuned uniform). A triangle at the right edge, or a bar running to it, is +∞.`,
    study_verdict: verdictParagraph(t),
  };
}

/**
 * Two or three console lines of the study: the best late-target time ratio and its regime,
 * whether the goal is met, and the lowest loss ratio at equal time.
 *
 * @throws {RangeError} when the output lacks the study's tables
 * @example
 * ```ts
 * import { studyHeadline } from "@lib/experiments/importance/study/notes.ts";
 * import assert from "node:assert/strict";
 * const verdict = [{ sampler: "loss", regime: "mnist b=8 k=3 constant late", time_ratio: 0.5, time_ratio_low: 0.4, time_ratio_high: 0.6, fe_ratio: 0.9, seeds: 5 }];
 * const lines = studyHeadline({ tables: { verdict, verdict_factors_timing: [], equal_time_loss_summary_timing: [] }, charts: {}, notes: {} });
 * assert.match(lines[0], /×0.500 \[0.400, 0.600\] \(loss \(presampled\), mnist b=8 k=3 constant late, 5 seeds\)/);
 * assert.match(lines[1], /goal .* met by 1/);
 * ```
 */
export function studyHeadline(output: ReproductionOutput): string[] {
  const read = <T extends TypedRow<T>>(name: string, columns: Columns<T>): T[] => {
    const rows: CsvRow[] | undefined = output.tables[name];
    if (rows === undefined) {
      throw new RangeError(`cannot make the study's headline: table ${name} is missing`);
    }
    return decodeRows(rows, columns, name);
  };
  const verdict = read("verdict", VERDICT);
  const factors = read("verdict_factors_timing", VERDICT_FACTOR);
  const summary = read("equal_time_loss_summary_timing", EQUAL_TIME_SUMMARY);
  const { ranked, winners } = lateStandings(verdict, factors);
  if (ranked.length === 0) return ["study: no late-target comparison with tuned uniform"];
  const best = ranked[0], f = best.f;
  const lines = [
    `best late-target time ratio: ×${fmt(best.v.time_ratio)} ${
      interval(best.v.time_ratio_low, best.v.time_ratio_high)
    } (${label(best.v.sampler)}, ${best.v.regime}, ${best.v.seeds} seeds)`,
    `goal (≤ ${GOAL_RATIO}×, interval below ${GOAL_HIGH}, ≥ ${GOAL_SEEDS} seeds): ${
      winners.length > 0
        ? `met by ${winners.length}`
        : `not met${
          f
            ? `; the best takes ${fmt(f.iteration_ratio)}× the steps at ${
              fmt(f.step_cost_ratio)
            }× the cost per step`
            : ""
        }`
    }`,
  ];
  const low = summary.filter((r) => r.loss_ratio_time !== null)
    .sort((a, b) => a.loss_ratio_time! - b.loss_ratio_time!)[0];
  if (low) {
    lines.push(
      `lowest loss at equal time: ×${fmt(low.loss_ratio_time)} uniform's (${
        label(low.sampler)
      }, ${low.regime})`,
    );
  }
  return lines;
}
