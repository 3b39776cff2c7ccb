/**
 * The fair study's step prices, measured side by side: for each data set and b, the wall time of
 * one training step of every sampler the study runs there, in interleaved rounds from the same θ,
 * so that load from other processes falls on every sampler alike. The study's runs are spread
 * over an hour and over two worker threads, and the load of the machine changes meanwhile: in
 * the first full run, uniform's b = 8 unit ran while other jobs kept the load at 5–7 and ISGD's
 * at load 2, which made ISGD's measured step "2× cheaper" than uniform's though it does the same
 * work. The verdict's seconds are therefore priced: a run's seconds at step t are t times its
 * sampler's median step time measured here (plus, for the stale scores, their first scoring of
 * all N at uniform's price per forward-equivalent). The seconds measured during the runs stay in
 * the tables as `verdict_measured_timing`.
 *
 * One unit per (data set, b), keyed by this module's code; it writes `study_step_costs_timing`.
 *
 * @module
 */
import type { FashionMnistSource } from "../../../fashion_mnist.ts";
import { KernelLease } from "../../../kernel_lease.ts";
import { softmaxCrossEntropy } from "../../../losses.ts";
import { MinibatchStep } from "../../../minibatch_step.ts";
import { Random } from "../../../random.ts";
import type { Sampler } from "../../../sampling/sampler.ts";
import { median } from "../../../stats.ts";
import { fit } from "../../../train.ts";
import type { ReproductionUnit, UnitOutput } from "../../reproduction.ts";
import {
  type Columns,
  decodeUnitTable,
  encodeRows,
  number,
  numberOrNull,
  oneOf,
} from "../columns.ts";
import { importanceProfiles } from "../profile.ts";
import { importanceSetup } from "../setup.ts";
import { leasedCopy } from "../step_costs.ts";
import type { DatasetId } from "../unit_tables.ts";
import type { StudyProfile } from "./profile.ts";
import { STUDY_SAMPLER_SPECS, STUDY_SAMPLERS, type StudySamplerId } from "./registry.ts";
import { studyCells } from "./units.ts";

/** `study_step_costs_timing`: the measured price of one step of a sampler at (data set, b). */
export interface StudyStepCostRow {
  dataset: DatasetId;
  batch_size: number;
  /** k, or null for the samplers without one. */
  presample: number | null;
  sampler: StudySamplerId;
  /** Median over rounds of the milliseconds per step. */
  median_ms: number;
  /** The fastest round's milliseconds per step. */
  min_ms: number;
  /** Rounds timed. */
  rounds: number;
  /** Consecutive steps per timed sample. */
  steps_per_round: number;
}

/** Columns of {@link StudyStepCostRow}. */
export const STUDY_STEP_COST: Columns<StudyStepCostRow> = {
  dataset: oneOf<DatasetId>(["mnist", "fashion-mnist"]),
  batch_size: number,
  presample: numberOrNull,
  sampler: oneOf(STUDY_SAMPLERS),
  median_ms: number,
  min_ms: number,
  rounds: number,
  steps_per_round: number,
};

/** Rounds of the interleaved timing; untimed warm-up steps of each sampler before them. */
const ROUNDS = 60, WARM_UP = 30;
/** η of the timed steps (a step's price does not depend on it). */
const ETA = 0.05;

/**
 * The cost units of a profile: one per (data set, b), each timing every sampler the study runs at
 * that b. Params: `study: true, costs: true`, the data set, b and the Fashion-MNIST source.
 *
 * @example
 * ```ts
 * import { studyCostUnits } from "@lib/experiments/importance/study/step_costs.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const units = studyCostUnits({ seed: 1, profile: studyProfiles.quick });
 * assert.deepEqual(units, [{ id: "study-costs-mnist-b32", params: { study: true, costs: true, dataset: "mnist", batch_size: 32 } }]);
 * ```
 */
export function studyCostUnits(
  options: { seed: number; profile: StudyProfile; source?: FashionMnistSource },
): ReproductionUnit[] {
  const P = options.profile;
  return P.datasets.flatMap((dataset: DatasetId) =>
    P.batchSizes.map((b): ReproductionUnit => {
      const params: ReproductionUnit["params"] = {
        study: true,
        costs: true,
        dataset,
        batch_size: b,
      };
      if (dataset === "fashion-mnist" && options.source) params.source = options.source;
      return { id: `study-costs-${dataset}-b${b}`, params };
    })
  );
}

/** Whether a unit is a cost unit of {@link studyCostUnits}. */
export function isStudyCostUnit(unit: ReproductionUnit): boolean {
  return unit.params.study === true && unit.params.costs === true;
}

/** The distinct (sampler, k) pairs the profile runs at (data set, b), in cell order. */
function pairsAt(profile: StudyProfile, dataset: DatasetId, b: number) {
  const seen = new Set<string>();
  const pairs: { sampler: StudySamplerId; presample: number | null }[] = [];
  for (const c of studyCells(profile)) {
    if (c.dataset !== dataset || c.batch_size !== b) continue;
    const key = `${c.sampler}/${c.presample}`;
    if (!seen.has(key)) {
      seen.add(key);
      pairs.push({ sampler: c.sampler, presample: c.presample });
    }
  }
  return pairs;
}

/**
 * Times one step of every sampler of (data set, b), interleaved: the first evaluation seed's data
 * and θ_0, trained one epoch by uniform SGD (so that the scores are no longer flat and K&F's
 * switch can be on), then each sampler trains its own copy: {@link WARM_UP} untimed steps (the
 * stale scores' first scoring among them), then {@link ROUNDS} rounds, each timing a few
 * consecutive steps of every sampler in a rotating order.
 *
 * @throws {RangeError} naming the unit when its params are not a cost unit's
 */
export async function runStudyCostUnit(
  unit: ReproductionUnit,
  options: { seed: number; profile: StudyProfile },
): Promise<UnitOutput> {
  const { dataset, batch_size: b, source } = unit.params;
  if (
    (dataset !== "mnist" && dataset !== "fashion-mnist") || typeof b !== "number" ||
    (source !== undefined && typeof source !== "string")
  ) {
    throw new RangeError(
      `cannot run the study's cost unit ${unit.id}: expected a data set and a batch size, got ${
        JSON.stringify(unit.params)
      }`,
    );
  }
  const P = options.profile;
  const set: DatasetId = dataset;
  const shape = {
    ...importanceProfiles.quick,
    dataset: set,
    trainSize: P.trainSize,
    testSize: P.testSize,
    hidden: P.hidden,
    analysisSize: P.diagnosticSize,
  };
  const setup = await importanceSetup(options.seed, shape, {
    source: source as FashionMnistSource | undefined,
  });
  const model = setup.model.clone();
  await fit(model, setup.train, {
    loss: "softmaxCrossEntropy",
    random: new Random(setup.trainingSeed),
    batchSize: b,
    learningRate: ETA,
    steps: Math.ceil(P.trainSize / b),
    evaluateEvery: Math.ceil(P.trainSize / b),
    trainSubset: Math.min(100, P.trainSize),
    progress: "none",
  });
  const perRound = Math.max(1, Math.round(64 / b));
  const lease = new KernelLease(), allocate = (length: number) => lease.array(length);
  const random = new Random(options.seed).fork();
  const pairs = pairsAt(P, dataset, b).map((pair) => {
    const made: Sampler = STUDY_SAMPLER_SPECS[pair.sampler].make(pair.presample ?? 3);
    const stepper = new MinibatchStep(leasedCopy(model, allocate), setup.train, {
      loss: softmaxCrossEntropy,
      batchSize: b,
      random: random.fork(),
      sampler: made,
      learningRate: ETA,
      action: "cannot time the study's steps",
      allocate,
      finiteData: true,
    });
    return { ...pair, made, stepper, times: [] as number[] };
  });
  try {
    for (const p of pairs) for (let s = 0; s < WARM_UP; s++) p.stepper.take();
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < pairs.length; k++) {
        const p = pairs[(k + r) % pairs.length];
        const start = performance.now();
        for (let s = 0; s < perRound; s++) p.stepper.take();
        p.times.push((performance.now() - start) / perRound);
      }
    }
  } finally {
    lease.release();
    for (const { made } of pairs) made.reset?.();
  }
  const rows = pairs.map((p): StudyStepCostRow => ({
    dataset: set,
    batch_size: b,
    presample: p.presample,
    sampler: p.sampler,
    median_ms: median(p.times),
    min_ms: Math.min(...p.times),
    rounds: ROUNDS,
    steps_per_round: perRound,
  }));
  return {
    tables: {
      study_step_costs_timing: encodeRows(rows, STUDY_STEP_COST, "study_step_costs_timing"),
    },
  };
}

/**
 * The step prices of several stored unit outputs (units without them add nothing).
 *
 * @example
 * ```ts
 * import { decodeStepCosts } from "@lib/experiments/importance/study/step_costs.ts";
 * import assert from "node:assert/strict";
 * const row = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", median_ms: 1, min_ms: 0.9, rounds: 60, steps_per_round: 8 };
 * assert.deepEqual(decodeStepCosts([{ tables: { study_step_costs_timing: [row] } }, { tables: {} }]), [row]);
 * ```
 */
export function decodeStepCosts(outputs: readonly UnitOutput[]): StudyStepCostRow[] {
  return decodeUnitTable(outputs, "study_step_costs_timing", STUDY_STEP_COST);
}
