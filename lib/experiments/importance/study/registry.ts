/**
 * The fair study's registry: one entry per sampler it compares and per learning-rate schedule,
 * holding every spelling (the CSV cell, the legend label, the colour), the factory, its cost in
 * forward-equivalents and its bias. The K&F samplers are read from the importance reproduction's
 * own registry ({@link SAMPLERS}), so that each is spelled once.
 *
 * @module
 */
import type { Sampler } from "../../../sampling/sampler.ts";
import { isgdSampler } from "../../../sampling/isgd.ts";
import { selectiveBackpropSampler } from "../../../sampling/selective_backprop.ts";
import { staleScoreSampler } from "../../../sampling/stale_scores.ts";
import { SAMPLERS } from "../registry.ts";

/** The samplers of the study, in table order; `uniform` is every comparison's baseline. */
export const STUDY_SAMPLERS = [
  "uniform",
  "upper-bound",
  "switch",
  "switch-sqrt",
  "loss",
  "gradient-norm",
  "stale-scores",
  "selective-backprop",
  "isgd",
] as const;

/** One of {@link STUDY_SAMPLERS}. */
export type StudySamplerId = (typeof STUDY_SAMPLERS)[number];

/** Everything the study knows of one sampler. */
export interface StudySamplerSpec {
  /** The `sampler` cell. */
  readonly id: StudySamplerId;
  /** The legend label. */
  readonly label: string;
  /** Its colour in every chart. */
  readonly colour: string;
  /** Whether it takes k (a presample of k·b, or k·b candidates on average); else k is null. */
  readonly usesPresample: boolean;
  /** Its price per step in forward-equivalents, as a formula of b, B = k·b and N. */
  readonly cost: string;
  /** "unbiased" (an exact test proves it) or how it is biased. */
  readonly bias: string;
  /** A fresh sampler for presample ratio k (ignored by samplers that do not use it). */
  make(presample: number): Sampler;
}

const KF = (id: "upper-bound" | "switch" | "switch-sqrt" | "loss" | "gradient-norm") => ({
  id,
  label: SAMPLERS[id].label,
  colour: SAMPLERS[id].colour,
  usesPresample: true,
  make: (k: number) => SAMPLERS[id].make(k),
});

/**
 * The samplers by id.
 *
 * @example
 * ```ts
 * import { STUDY_SAMPLER_SPECS } from "@lib/experiments/importance/study/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(STUDY_SAMPLER_SPECS["upper-bound"].label, "upper bound (presampled)");
 * assert.equal(STUDY_SAMPLER_SPECS["selective-backprop"].make(3).name, "selective backprop (β = 2)");
 * assert.equal(STUDY_SAMPLER_SPECS["stale-scores"].usesPresample, false);
 * ```
 */
export const STUDY_SAMPLER_SPECS: Readonly<Record<StudySamplerId, StudySamplerSpec>> = Object
  .freeze({
    "uniform": {
      id: "uniform",
      label: SAMPLERS.uniform.label,
      colour: SAMPLERS.uniform.colour,
      usesPresample: false,
      cost: "3b",
      bias: "unbiased",
      make: (k: number) => SAMPLERS.uniform.make(k),
    },
    "upper-bound": {
      ...KF("upper-bound"),
      cost: "B + 2b (the step reuses the scoring pass)",
      bias: "unbiased",
    },
    "switch": {
      ...KF("switch"),
      cost: "3b while off, B + 2b while on",
      bias: "unbiased",
    },
    "switch-sqrt": {
      ...KF("switch-sqrt"),
      cost: "3b while off, B + 2b while on",
      bias: "unbiased",
    },
    "loss": { ...KF("loss"), cost: "B + 2b", bias: "unbiased" },
    "gradient-norm": {
      ...KF("gradient-norm"),
      cost: "3B + 2b (the exact per-sample gradient norms: the oracle)",
      bias: "unbiased",
    },
    "stale-scores": {
      id: "stale-scores",
      label: "stale scores over N (α = 0.5)",
      colour: "#72b7b2",
      usesPresample: false,
      cost: "3b, plus N for the first scoring",
      bias: "unbiased (whatever the staleness; α bounds the weights by 2)",
      make: () => staleScoreSampler({ alpha: 0.5, name: "stale-scores" }),
    },
    "selective-backprop": {
      id: "selective-backprop",
      label: "selective backprop (β = k − 1)",
      colour: "#eeca3b",
      usesPresample: true,
      cost: "about k·b candidates forwarded + 2b (the step reuses their pass)",
      bias: "biased towards high-loss samples (measured: distance of its expected step from ∇L)",
      make: (k: number) => selectiveBackpropSampler({ beta: k - 1 }),
    },
    "isgd": {
      id: "isgd",
      label: "ISGD (3σ control limit)",
      colour: "#ff9da6",
      usesPresample: false,
      cost: "3b per step, repeats included",
      bias: "biased: the extra steps weight high-loss batches",
      make: () => isgdSampler({ name: "isgd" }),
    },
  });

/** The learning-rate schedules of the study. */
export const SCHEDULES = ["constant", "step-decay"] as const;

/** One of {@link SCHEDULES}. */
export type ScheduleId = (typeof SCHEDULES)[number];

/**
 * How each schedule reads in prose and legends.
 *
 * @example
 * ```ts
 * import { SCHEDULE_LABELS } from "@lib/experiments/importance/study/registry.ts";
 * import assert from "node:assert/strict";
 * assert.match(SCHEDULE_LABELS["step-decay"], /×0.2 at 50 % and 80 %/);
 * ```
 */
export const SCHEDULE_LABELS: Readonly<Record<ScheduleId, string>> = Object.freeze({
  "constant": "constant η",
  "step-decay": "η ×0.2 at 50 % and 80 % of the budget",
});
