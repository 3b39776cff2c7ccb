/**
 * The importance reproduction's registries: one entry per score, τ variant,
 * sampling scheme, sampler and timed step kind, holding every spelling of that concept (the CSV
 * cell, the legend label, the colour, the factory). Tables, charts and notes read their strings
 * here and nowhere else.
 *
 * @module
 */
import { presampler } from "../../sampling/presampler.ts";
import { type Sampler, uniformSampler } from "../../sampling/sampler.ts";
import { SCHEME_SCORES, type SchemeScore } from "../../sampling/exact_variance.ts";
import type { TauVariant } from "../../sampling/tau_estimate.ts";

// ---------------------------------------------------------------------------------------------
// Scores, τ and schemes

/** How a score is spelled: in CSV cells and ids, and in prose and legends. */
export interface ScoreSpelling {
  /** In CSV cells: scheme ids, the correlation table's `score`, sampler and step-kind ids. */
  readonly key: string;
  /** In prose, titles and legend labels. */
  readonly name: string;
}

/**
 * The scores, keyed by lib's id (lib/sampling/exact_variance.ts's {@link SchemeScore}).
 *
 * @example
 * ```ts
 * import { SCORES } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(SCORES.upperBound, { key: "upper-bound", name: "upper bound" });
 * ```
 */
export const SCORES: Readonly<Record<SchemeScore, ScoreSpelling>> = Object.freeze({
  uniform: { key: "uniform", name: "uniform" },
  loss: { key: "loss", name: "loss" },
  upperBound: { key: "upper-bound", name: "upper bound" },
  gradientNorm: { key: "gradient-norm", name: "gradient norm" },
});

/** The scores whose correlation with the exact gradient norm is measured, in table order. */
export const CORRELATED_SCORES = ["upperBound", "loss"] as const satisfies readonly SchemeScore[];

/** How a τ variant is spelled. */
export interface TauSpelling {
  /** In a sampler's label. */
  readonly short: string;
  /** As a chart series. */
  readonly series: string;
  /** In prose. */
  readonly name: string;
}

/**
 * The two τ variants of K&F's switch (lib/sampling/tau_estimate.ts), keyed by lib's id.
 *
 * @example
 * ```ts
 * import { TAUS } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(TAUS.sqrtVarianceRatio.series, "τ = √(B Σ g²) (reference code)");
 * ```
 */
export const TAUS: Readonly<Record<TauVariant, TauSpelling>> = Object.freeze({
  varianceRatio: {
    short: "τ = ratio",
    series: "τ = B Σ g² (variance ratio)",
    name: "variance ratio",
  },
  sqrtVarianceRatio: {
    short: "τ = √ratio",
    series: "τ = √(B Σ g²) (reference code)",
    name: "square root",
  },
});

/** Where a scheme draws from: uniformly, by importance over all N, or inside a presample. */
export type SchemeKind = "uniform" | "full" | "presampled";

/** One sampling scheme whose Tr V[g] the variance table holds. */
export interface SchemeSpec {
  /** The `scheme` cell of the variance, speed and variance-check tables. */
  readonly id: string;
  /** How it draws. */
  readonly kind: SchemeKind;
  /** The score it draws by. */
  readonly score: SchemeScore;
  /** The legend label. */
  readonly label: string;
}

function scheme(kind: SchemeKind, score: SchemeScore): SchemeSpec {
  const { key, name } = SCORES[score];
  if (kind === "uniform") return { id: key, kind, score, label: name };
  const optimal = kind === "full" && score === "gradientNorm" ? " (optimal)" : "";
  const id = `${kind}-${key}`;
  return {
    id,
    kind,
    score,
    label: `${name}, ${kind === "full" ? "over N" : "presampled"}${optimal}`,
  };
}

/**
 * The schemes, in the variance table's order: uniform, the three importance distributions over
 * all N, then the four presampled ones.
 *
 * @example
 * ```ts
 * import { SCHEMES } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(SCHEMES.length, 8);
 * assert.deepEqual(SCHEMES[3], {
 *   id: "full-gradient-norm", kind: "full", score: "gradientNorm", label: "gradient norm, over N (optimal)",
 * });
 * assert.equal(SCHEMES[6].id, "presampled-upper-bound");
 * ```
 */
export const SCHEMES: readonly SchemeSpec[] = Object.freeze([
  scheme("uniform", "uniform"),
  ...(["loss", "upperBound", "gradientNorm"] as const).map((s) => scheme("full", s)),
  ...SCHEME_SCORES.map((s) => scheme("presampled", s)),
]);

/**
 * The id of a scheme of the registry.
 *
 * @example
 * ```ts
 * import { schemeId } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(schemeId("presampled", "upperBound"), "presampled-upper-bound");
 * ```
 */
export function schemeId(kind: SchemeKind, score: SchemeScore): string {
  const found = SCHEMES.find((s) => s.kind === kind && s.score === score);
  if (!found) throw new RangeError(`cannot name the scheme: no ${kind} scheme with ${score}`);
  return found.id;
}

// ---------------------------------------------------------------------------------------------
// Samplers and step kinds

/** The samplers compared, by id (see lib/experiments/importance/mod.ts). */
export const IMPORTANCE_SAMPLERS = [
  "uniform",
  "loss",
  "upper-bound",
  "gradient-norm",
  "switch",
  "switch-sqrt",
] as const;

/** One of {@link IMPORTANCE_SAMPLERS}. */
export type ImportanceSamplerId = (typeof IMPORTANCE_SAMPLERS)[number];

/**
 * The kinds of training step timed by the interleaved step costs: uniform, a switch sampler
 * while it is off (a uniform step that also scores its batch and updates τ), and presampled
 * importance sampling with each score.
 */
export const STEP_KINDS = [
  "uniform",
  "switch-off",
  "loss",
  "upper-bound",
  "gradient-norm",
] as const;

/** One of {@link STEP_KINDS}. */
export type StepKind = (typeof STEP_KINDS)[number];

/** Everything the reproduction knows of one sampler. */
export interface SamplerSpec {
  /** The `sampler` (or `run`) cell, the unit id's last part and the sampler's name. */
  readonly id: ImportanceSamplerId;
  /** The legend label. */
  readonly label: string;
  /** The score of its importance steps ("uniform" for uniform sampling). */
  readonly score: SchemeScore;
  /** The switch's τ variant; null when importance sampling is always on (or never). */
  readonly tau: TauVariant | null;
  /** The scheme its importance steps draw from (the variance table's `own`). */
  readonly scheme: string;
  /** Its colour in every chart. */
  readonly colour: string;
  /** The step kinds it takes while importance sampling is off and on. */
  readonly steps: { readonly off: StepKind; readonly on: StepKind };
  /** A fresh sampler for presamples of k·b. */
  make(presample: number): Sampler;
}

function alwaysOn(
  id: "loss" | "upper-bound" | "gradient-norm",
  score: "loss" | "upperBound" | "gradientNorm",
  colour: string,
): SamplerSpec {
  return {
    id,
    label: `${SCORES[score].name} (presampled)`,
    score,
    tau: null,
    scheme: schemeId("presampled", score),
    colour,
    steps: { off: id, on: id },
    make: (presample) => presampler({ presample, alwaysOn: true, name: id, score }),
  };
}

function switching(id: "switch" | "switch-sqrt", tau: TauVariant, colour: string): SamplerSpec {
  return {
    id,
    label: `${SCORES.upperBound.name} + switch, ${TAUS[tau].short}`,
    score: "upperBound",
    tau,
    scheme: schemeId("presampled", "upperBound"),
    colour,
    steps: { off: "switch-off", on: "upper-bound" },
    make: (presample) => presampler({ presample, score: "upperBound", tau, name: id }),
  };
}

/**
 * The samplers by id: `uniform` (b draws with replacement, weights 1), `loss`, `upper-bound` and
 * `gradient-norm` (K&F's Algorithm 1 with importance sampling always on, scoring a presample of
 * B = k·b by ℓ_i, by the upper bound ‖∂ℓ_i/∂z_L‖ or by the exact ‖∇ℓ_i‖), `switch` (the
 * presampled upper bound with K&F's switch, τ the variance ratio B Σ g_j²) and `switch-sqrt`
 * (the same with the reference code's τ, its square root).
 *
 * @example
 * ```ts
 * import { SAMPLERS } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(SAMPLERS["upper-bound"].label, "upper bound (presampled)");
 * assert.equal(SAMPLERS["switch"].label, "upper bound + switch, τ = ratio");
 * assert.equal(SAMPLERS["switch"].scheme, "presampled-upper-bound");
 * assert.deepEqual(SAMPLERS["switch-sqrt"].steps, { off: "switch-off", on: "upper-bound" });
 * assert.equal(SAMPLERS["switch"].make(3).name, "switch");
 * ```
 */
export const SAMPLERS: Readonly<Record<ImportanceSamplerId, SamplerSpec>> = Object.freeze({
  "uniform": {
    id: "uniform",
    label: SCORES.uniform.name,
    score: "uniform",
    tau: null,
    scheme: schemeId("uniform", "uniform"),
    colour: "#4c78a8",
    steps: { off: "uniform", on: "uniform" },
    make: () => uniformSampler(),
  },
  "loss": alwaysOn("loss", "loss", "#f58518"),
  "upper-bound": alwaysOn("upper-bound", "upperBound", "#e45756"),
  "gradient-norm": alwaysOn("gradient-norm", "gradientNorm", "#54a24b"),
  "switch": switching("switch", "varianceRatio", "#b279a2"),
  "switch-sqrt": switching("switch-sqrt", "sqrtVarianceRatio", "#9d755d"),
});

/**
 * Legend labels of the samplers, read from {@link SAMPLERS}.
 *
 * @example
 * ```ts
 * import { SAMPLER_LABELS } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(SAMPLER_LABELS["switch"], "upper bound + switch, τ = ratio");
 * ```
 */
export const SAMPLER_LABELS: Readonly<Record<ImportanceSamplerId, string>> = Object.freeze({
  "uniform": SAMPLERS["uniform"].label,
  "loss": SAMPLERS["loss"].label,
  "upper-bound": SAMPLERS["upper-bound"].label,
  "gradient-norm": SAMPLERS["gradient-norm"].label,
  "switch": SAMPLERS["switch"].label,
  "switch-sqrt": SAMPLERS["switch-sqrt"].label,
});

/**
 * A fresh sampler of the given id for batches of b (see {@link SAMPLERS}).
 *
 * @throws {RangeError} for an unknown id
 * @example
 * ```ts
 * import { makeImportanceSampler } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(makeImportanceSampler("uniform").name, "uniform");
 * assert.equal(makeImportanceSampler("switch").name, "switch");
 * assert.throws(() => makeImportanceSampler("nope" as never), /unknown sampler 'nope'/);
 * ```
 */
export function makeImportanceSampler(id: ImportanceSamplerId, presample = 3): Sampler {
  if (!Object.hasOwn(SAMPLERS, id)) {
    throw new RangeError(
      `cannot make the importance experiment's sampler: unknown sampler '${id}', expected one of ${
        IMPORTANCE_SAMPLERS.join(", ")
      }`,
    );
  }
  return SAMPLERS[id].make(presample);
}

/**
 * A fresh sampler that takes steps of the given kind: a sampler's own, or for `switch-off` the
 * switch with a threshold it never reaches.
 *
 * @example
 * ```ts
 * import { stepKindSampler } from "@lib/experiments/importance/registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(stepKindSampler("switch-off", 3).name, "switch-off");
 * assert.equal(stepKindSampler("loss", 3).name, "loss");
 * ```
 */
export function stepKindSampler(kind: StepKind, presample: number): Sampler {
  if (kind !== "switch-off") return makeImportanceSampler(kind, presample);
  return presampler({
    presample,
    score: "upperBound",
    tau: "varianceRatio",
    tauThreshold: Infinity,
    name: kind,
  });
}
