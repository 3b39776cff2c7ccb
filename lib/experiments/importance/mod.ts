/**
 * Reproduction `importance`: importance sampling for SGD (Katharopoulos & Fleuret, ICML 2018) on
 * an MNIST MLP, measured against uniform sampling in iterations, forward-equivalents and wall
 * time, with the variance reduction behind it.
 *
 * Samplers (every presample has B = k·b draws, k = 3, the reference code's default):
 * - `uniform`: b draws with replacement, weights 1 (3b forward-equivalents per step);
 * - `loss`, `upper-bound`, `gradient-norm`: K&F's Algorithm 1 with importance sampling always on,
 *   scoring the presample by ℓ_i, by the upper bound ‖∂ℓ_i/∂z_L‖ or by the exact ‖∇ℓ_i‖ (the
 *   optimal score; 3 forward-equivalents per scored sample): B + 2b, B + 2b and 3B + 2b per step
 *   (the step reuses the scoring pass's forward pass of its b samples; K&F recompute it: B + 3b);
 * - `switch`: the presampled upper bound with K&F's switch, τ the variance ratio B Σ g_j² (the
 *   factor by which a uniform batch must grow to match the variance, the quantity the threshold
 *   (B + 3b)/(3b) is derived for, so the variant chosen on principle);
 * - `switch-sqrt`: the same with the reference code's τ, the square root of that ratio.
 *
 * One unit is one training run (data set × seed × sampler). At checkpoints each unit also
 * computes Tr V of every sampling scheme at its own θ (lib/sampling/exact_variance.ts: exact for
 * uniform and full-data importance sampling, conditional-exact over R presamples for presampling)
 * and the correlation of the scores with the exact per-sample gradient norm (K&F's Figure 2).
 * The uniform unit of each seed also approximates θ* (its run continued with a decaying η), gives
 * S and its terms for every scheme at its checkpoints, and checks the variances against real
 * minibatch draws (lib/sampling/monte_carlo_variance.ts). `combine` builds the curves (mean and spread over
 * seeds), the iterations, forward-equivalents and seconds to reach a target training loss, the
 * charts and the notes.
 *
 * The folder, by phase: `profile.ts` (the sizes), `registry.ts` (every id and its spellings:
 * scores, τ variants, schemes, samplers, step kinds), `setup.ts`, `run.ts`, `run_uniform.ts`
 * and `step_costs.ts` (one unit), `unit_tables.ts` and `tables.ts` (the typed rows and their
 * CSV columns), `combine.ts` (aggregation), `charts.ts`, `analysis_charts.ts` and `notes.ts`.
 *
 * Wall-clock columns live in `_timing` tables, except `time_to_target.csv`, whose columns the
 * issue fixes (`sampler,seed,target_loss,iterations,forward_equivalents,seconds`); its
 * deterministic part is also written as `steps_to_target.csv`.
 *
 * @module
 */
import { FASHION_MNIST_SOURCES, fashionMnistSource } from "../../fashion_mnist.ts";
import {
  type Reproduction,
  type ReproductionOutput,
  type ReproductionUnit,
  unitReproduction,
} from "../reproduction.ts";
import { combineImportance } from "./combine.ts";
import { importanceHeadline } from "./notes.ts";
import { type ImportanceProfile, importanceProfiles } from "./profile.ts";
import { IMPORTANCE_SAMPLERS } from "./registry.ts";
import { importanceRun } from "./run.ts";
import { combineStudy, studyHeadline } from "./study/combine.ts";
import { type StudyProfile, studyProfiles } from "./study/profile.ts";
import { decodeStudyUnits } from "./study/rows.ts";
import { runStudyUnit } from "./study/run.ts";
import { studyUnits } from "./study/units.ts";
import {
  decodeStepCosts,
  isStudyCostUnit,
  runStudyCostUnit,
  studyCostUnits,
} from "./study/step_costs.ts";

export { combineImportance, combineImportanceTables, type CombineOptions } from "./combine.ts";
export {
  scoreCorrelationChart,
  varianceAlongRunsChart,
  varianceReductionChart,
} from "./analysis_charts.ts";
export { setupLine } from "./chart_common.ts";
export {
  type CurveAxis,
  type CurveTables,
  importanceCharts,
  timeToTargetChart,
  trainingCurvesChart,
} from "./charts.ts";
export { importanceHeadline, importanceNotes } from "./notes.ts";
export { checkImportanceProfile, type ImportanceProfile, importanceProfiles } from "./profile.ts";
export {
  CORRELATED_SCORES,
  IMPORTANCE_SAMPLERS,
  type ImportanceSamplerId,
  makeImportanceSampler,
  SAMPLER_LABELS,
  SAMPLERS,
  type SamplerSpec,
  SCHEMES,
  type SchemeSpec,
  SCORES,
  STEP_KINDS,
  type StepKind,
  stepKindSampler,
  TAUS,
} from "./registry.ts";
export { importanceRun, importanceRunTables, type RunOptions } from "./run.ts";
export { combineStudy, combineStudyTables, studyHeadline } from "./study/combine.ts";
export { checkStudyProfile, type StudyProfile, studyProfiles } from "./study/profile.ts";
export { studyCells, studyUnits } from "./study/units.ts";
export { studyRun, studyRunTables } from "./study/run.ts";
export { pricedTiming } from "./study/priced.ts";
export { decodeStepCosts, runStudyCostUnit, studyCostUnits } from "./study/step_costs.ts";
export { type ImportanceSetup, importanceSetup } from "./setup.ts";
export { interleavedStepCosts } from "./step_costs.ts";
export { decodeTables, encodeTables, type ImportanceTables } from "./tables.ts";
export type * from "./tables.ts";
export type * from "./unit_tables.ts";

/**
 * The units of the reproduction for a profile: one per seed × sampler, uniform first.
 *
 * @example
 * ```ts
 * import { importanceProfiles, importanceUnits } from "@lib/experiments/importance/mod.ts";
 * import assert from "node:assert/strict";
 * const units = importanceUnits({ seed: 1, profile: importanceProfiles.quick });
 * assert.equal(units.length, 18);
 * assert.deepEqual(units[0], { id: "mnist-seed1-uniform", params: { dataset: "mnist", seed: 1, sampler: "uniform", scatter: true } });
 * ```
 */
export function importanceUnits(
  options: { seed: number; profile: ImportanceProfile },
): ReproductionUnit[] {
  const P = options.profile;
  // Fashion-MNIST's source is part of each unit's key: a unit of one source is never reused for
  // the other
  const source = P.dataset === "fashion-mnist" ? fashionMnistSource() : undefined;
  const units: ReproductionUnit[] = [];
  for (let k = 0; k < P.seeds; k++) {
    const seed = options.seed + k;
    for (const sampler of P.samplers) {
      const params: ReproductionUnit["params"] = {
        dataset: P.dataset,
        seed,
        sampler,
        scatter: k === 0,
      };
      if (source) params.source = source;
      units.push({ id: `${P.dataset}-seed${seed}-${sampler}`, params });
    }
  }
  return units;
}

/** The run options of a unit made by {@link importanceUnits}. */
function unitOptions(unit: ReproductionUnit, profile: ImportanceProfile) {
  const { sampler, seed, scatter, source } = unit.params;
  const known = IMPORTANCE_SAMPLERS.find((s) => s === sampler);
  const sources: readonly unknown[] = Object.values(FASHION_MNIST_SOURCES);
  const fashion = Object.values(FASHION_MNIST_SOURCES).find((s) => s === source);
  if (known === undefined || typeof seed !== "number" || (source !== undefined && !fashion)) {
    throw new RangeError(
      `cannot run the importance unit ${unit.id}: expected a sampler (${
        IMPORTANCE_SAMPLERS.join(", ")
      }), a numeric seed and a source among ${sources.join(", ")}, got ${
        JSON.stringify(unit.params)
      }`,
    );
  }
  return { sampler: known, seed, profile, scatter: scatter === true, source: fashion };
}

/** The study profiles of {@link importanceReproduction}: none for a profile without the study. */
export type StudyProfiles = Readonly<Record<"quick" | "full", StudyProfile | null>>;

/** Whether a unit is one of the fair study's (units.ts marks them `study: true`). */
function isStudyUnit(unit: ReproductionUnit): boolean {
  return unit.params.study === true;
}

/** The tables, charts and notes of two outputs side by side (their names never clash). */
function mergeOutputs(a: ReproductionOutput, b: ReproductionOutput): ReproductionOutput {
  for (const part of ["tables", "charts", "notes"] as const) {
    const clash = Object.keys(b[part]).find((name) => Object.hasOwn(a[part], name));
    if (clash !== undefined) {
      throw new Error(
        `cannot combine the importance reproduction: both parts write ${part} '${clash}'`,
      );
    }
  }
  return {
    tables: { ...a.tables, ...b.tables },
    charts: { ...a.charts, ...b.charts },
    notes: { ...a.notes, ...b.notes },
  };
}

/**
 * The reproduction over the given profiles (the registered one uses {@link importanceProfiles}
 * and the fair study's {@link studyProfiles}; tests pass tiny ones). Its units are the study's
 * cells (one per data set × b × k × sampler × schedule, study/units.ts), first, so that a long
 * `--full` run gives the study's verdict before K&F's runs, then K&F's runs (one per seed ×
 * sampler, {@link importanceUnits}); each kind is keyed by its own run module, so that editing the
 * study recomputes none of K&F's runs and the other way round.
 *
 * @example
 * ```ts
 * import { importanceProfiles, importanceReproduction, studyProfiles } from "@lib/experiments/importance/mod.ts";
 * import assert from "node:assert/strict";
 * const r = importanceReproduction(importanceProfiles, { study: studyProfiles });
 * assert.equal(r.name, "importance");
 * const units = r.units!({ seed: 1, profile: "full" });
 * assert.equal(units.filter((u) => u.params.study !== true).length, 30);
 * assert.match(r.unitRunModule!(units[0])!, /\/study\/run\.ts$/); // charts and notes are not in the key
 * assert.match(r.unitRunModule!(units.at(-1)!)!, /\/importance\/run\.ts$/);
 * assert.equal(importanceReproduction(importanceProfiles).units!({ seed: 1, profile: "full" }).length, 30);
 * ```
 */
export function importanceReproduction(
  profiles: Readonly<Record<"quick" | "full", ImportanceProfile>>,
  options: { study?: StudyProfiles } = {},
): Reproduction {
  const studies: StudyProfiles = options.study ?? { quick: null, full: null };
  const kfModule = new URL("./run.ts", import.meta.url).href;
  const studyModule = new URL("./study/run.ts", import.meta.url).href;
  const costModule = new URL("./study/step_costs.ts", import.meta.url).href;
  /** The study's cells, then its cost units (one per data set and b), of a profile. */
  const studyPart = (o: { seed: number; profile: "quick" | "full" }) => {
    const study = studies[o.profile];
    if (study === null) return [];
    const source = study.datasets.includes("fashion-mnist") ? fashionMnistSource() : undefined;
    return [
      ...studyUnits({ seed: o.seed, profile: study }),
      ...studyCostUnits({ seed: o.seed, profile: study, source }),
    ];
  };
  return unitReproduction({
    name: "importance",
    description: "importance sampling for SGD (Katharopoulos & Fleuret 2018): uniform, loss, " +
      "upper-bound, exact gradient-norm and switched presampled sampling on an MNIST MLP, in " +
      "iterations, forward-equivalents and wall time, with the variance reduction, τ, the " +
      "scores' correlation with the gradient norm and S (course section 4); and a fair study of " +
      "when it pays: every sampler (with stale scores, selective backprop and ISGD) at its own " +
      "tuned η, at equal time and forward-equivalents, over b, k and two data sets",
    runModule: kfModule,
    unitRunModule: (unit) =>
      isStudyCostUnit(unit) ? costModule : isStudyUnit(unit) ? studyModule : kfModule,
    units: (o) => {
      // the study's units first: a long --full run gives its verdict before K&F's runs
      return [
        ...studyPart(o),
        ...importanceUnits({ seed: o.seed, profile: profiles[o.profile] }),
      ];
    },
    runUnit: (unit, o) => {
      if (isStudyUnit(unit)) {
        const study = studies[o.profile];
        if (study === null) {
          return Promise.reject(
            new RangeError(
              `cannot run the importance unit ${unit.id}: the ${o.profile} profile has no study`,
            ),
          );
        }
        return isStudyCostUnit(unit)
          ? runStudyCostUnit(unit, { seed: o.seed, profile: study })
          : runStudyUnit(unit, { seed: o.seed, profile: study });
      }
      const { sampler, ...run } = unitOptions(unit, profiles[o.profile]);
      return importanceRun(sampler, run);
    },
    combine: (outputs, o) => {
      const n = studyPart(o).length;
      const kf = combineImportance(outputs.slice(n), {
        seed: o.seed,
        profile: profiles[o.profile],
      });
      const own = outputs.slice(0, n);
      const part = combineStudy(decodeStudyUnits(own), {
        seed: o.seed,
        costs: decodeStepCosts(own),
      });
      return Promise.resolve(mergeOutputs(kf, part));
    },
    headline: (output) => [
      ...importanceHeadline(output),
      ...("verdict" in output.tables ? studyHeadline(output) : []),
    ],
  });
}

/**
 * The reproduction registered as `importance`.
 *
 * @example
 * ```ts
 * import { importance, studyProfiles } from "@lib/experiments/importance/mod.ts";
 * import assert from "node:assert/strict";
 * const units = importance.units!({ seed: 1, profile: "quick" });
 * assert.equal(units.length, 18 + studyProfiles.quick.cells.length + 1); // and one cost unit
 * ```
 */
export const importance: Reproduction = importanceReproduction(importanceProfiles, {
  study: studyProfiles,
});
