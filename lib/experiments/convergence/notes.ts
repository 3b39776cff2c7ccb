/**
 * The notes of the `convergence` reproduction: how to read each table and chart, with its
 * figures. One function per group of notes (the linear part, its learning-rate sweep, the
 * outlier scenario, the MNIST part), each reading the typed tables and the profile.
 *
 * @module
 */
import { prose } from "../../format.ts";
import { medianHigh } from "../../stats.ts";
import { type ConvergenceProfile, OUTLIER_DATA, SAMPLINGS } from "./profile.ts";
import type { ReproductionOutput } from "../reproduction.ts";
import { type ConvergenceTables, decodeTables, type SpeedRow } from "./rows.ts";

/** The last row of the run with batch size b. */
function lastOf(rows: readonly SpeedRow[], b: number): SpeedRow {
  return rows.filter((r) => r.batch_size === b).at(-1)!;
}

/** The largest |z| of a set of Monte Carlo rows, for prose. */
function largestZ(rows: readonly { z_score: number }[]): string {
  return prose(Math.max(...rows.map((r) => Math.abs(r.z_score))));
}

/** linear_speed, linear_terms and linear_monte_carlo. */
function linearNotes(tables: ConvergenceTables, profile: ConvergenceProfile) {
  const L = profile.linear, mc = tables.linear_monte_carlo;
  const floors = L.batchSizes.map((b) =>
    `${prose(lastOf(tables.linear_speed, b).distance_squared)} (b = ${b})`
  );
  return {
    linear_speed: `One SGD run per batch size b from the same θ_0 on a linear regression ` +
      `(N = ${L.n}, d = ${L.d}, noise ${L.noise}) whose θ* is exact (least squares), η = ` +
      `${L.learningRate}. Every ${L.evaluateEvery} steps the per-sample gradients give S = ` +
      `progress − mean_gradient_term − variance_term in closed form for that b (uniform ` +
      `sampling with replacement). At step 0 the first two terms are the same for every b ` +
      `(same θ, and E[g] = Ḡ whatever b); only the variance term η² Tr V / b differs. Far from ` +
      `θ* the progress term dominates and S > 0; near θ* it falls like ‖θ − θ*‖² while Tr V ` +
      `stays near its value at θ*, so S reaches 0 and then changes sign around a floor: ` +
      `‖θ − θ*‖² at the last step is ${floors.join(", ")}, lower for larger b as the variance ` +
      `term is. relative_speed = S / ‖θ − θ*‖². The chart linear_speed.png draws S on a ` +
      `symmetric log axis (linear within ±1e-5) so that its sign changes show.`,
    linear_terms: "The three terms of S on a log axis, one panel per batch size. The " +
      "variance penalty is almost flat; the run stops approaching θ* where the progress term " +
      "meets it (S = 0), later and lower for larger b.",
    linear_monte_carlo: `At steps ${L.snapshotSteps.join(", ")} of each run, ${L.draws} ` +
      `real SGD steps on the network from the same θ (sampledConvergenceSpeed) estimate S; ` +
      `z_score = (monte_carlo − closed_form) / standard_error. ${
        mc.filter((r) => r.within_4_se).length
      } of ${mc.length} estimates are within 4 standard errors of the closed form (largest ` +
      `|z| ${largestZ(mc)}). course_value is the course's last line 2(θ − θ*)ᵀE[g] − E‖g‖², ` +
      `which drops η: it is S at η = 1, not at η = ${L.learningRate}; it is negative at ${
        mc.filter((r) => r.course_value < 0).length
      } of the ${mc.length} snapshots, positive S included.`,
  };
}

/** linear_learning_rate. */
function learningRateNotes(tables: ConvergenceTables, profile: ConvergenceProfile) {
  const L = profile.linear, sw = tables.linear_learning_rate;
  const r = sw.find((row) => row.learning_rate === L.learningRate) ?? sw[0];
  return {
    linear_learning_rate: `S at θ_0 (the start of the runs) against η for b = ` +
      `${L.sweepBatchSize}: the closed form, a Monte Carlo estimate from ${L.draws} real SGD ` +
      `steps per η (largest |z| ${largestZ(sw)}), and the course's last line, which has no η ` +
      `and so is one number (${prose(sw[0].course_value)}). At η = ${r.learning_rate}, S = ` +
      `${prose(r.closed_form)} (Monte Carlo ${prose(r.monte_carlo)} ± ` +
      `${prose(r.standard_error)}) while the course's value is ${prose(r.course_value)}. S is ` +
      `positive for η below 2(θ − θ*)ᵀḠ / E‖g‖² = ${prose(sw[0].zero_crossing)} and negative ` +
      `above; the course's value is S at η = 1.`,
  };
}

/** outlier_state: the state θ_fit, clean vs outlier, uniform vs p ∝ ‖G_i‖. */
function outlierStateNotes(tables: ConvergenceTables, profile: ConvergenceProfile) {
  const O = profile.outlier, b0 = O.batchSizes[0];
  const pick = (data: string, sampling: string) =>
    tables.outlier_state.find((r) =>
      r.data === data && r.sampling === sampling && r.batch_size === b0
    )!;
  const out = pick(OUTLIER_DATA.outlier, SAMPLINGS.uniform);
  const clean = pick(OUTLIER_DATA.clean, SAMPLINGS.uniform);
  const optimal = pick(OUTLIER_DATA.outlier, SAMPLINGS.optimal);
  return {
    outlier_state: `The course's state, made precise: targets generated without noise by ` +
      `θ_fit (N = ${O.n}, d = ${O.d}); the outlier data is the same data with E = ` +
      `${O.outlierError} added to sample 0's target. Every row is at θ = θ_fit. On the clean ` +
      `data θ_fit is θ*: every gradient is 0 up to rounding, so Tr V[g] and S are 0 (here ` +
      `${prose(clean.trace_variance_g)} and ${prose(clean.speed)}). On the outlier data only ` +
      `G_0 is nonzero, and g = 0 unless sample 0 is drawn: Tr V[g] = ` +
      `${prose(out.trace_variance_g)} at b = ${b0}, ${
        prose(out.trace_variance_g / out.mean_gradient_squared_norm)
      } times ‖Ḡ‖² (exactly (N − 1)/b), and Var ‖g‖, the variance of the norm the course ` +
      `speaks of (${prose(out.gradient_norm_variance)}, exact at b = 1), is the same number, ` +
      `since every g points along G_0. S = ${prose(out.speed)} at b = ${b0} although ` +
      `full-batch gradient descent would make progress (full_batch_speed ` +
      `${prose(out.full_batch_speed)}): the variance term is ` +
      `${prose(out.variance_term / out.progress)} times the progress term; a batch of b ` +
      `divides it by b. Sampling p_i ∝ ‖G_i‖ (rows "${SAMPLINGS.optimal}", the importance ` +
      `sampling of the next notebook) always draws sample 0, with weight 1/N: g = Ḡ exactly, ` +
      `Tr V = ${prose(optimal.trace_variance_g)} (0 up to rounding), and S is the full-batch ` +
      `value for every b.`,
  };
}

/** outlier_runs: SGD on both data sets from the same θ_0 with the same draws. */
function outlierRunsNotes(tables: ConvergenceTables, profile: ConvergenceProfile) {
  const O = profile.outlier;
  const secondHalf = (data: string) =>
    prose(medianHigh(
      tables.outlier_runs
        .filter((r) =>
          (r.data === OUTLIER_DATA.clean) === (data === OUTLIER_DATA.clean) &&
          r.batch_size === O.chartBatchSize && r.step > O.steps / 2
        )
        .map((r) => r.distance_squared),
    ));
  return {
    outlier_runs: `SGD runs from the same θ_0 with the same minibatch indices on both data ` +
      `sets, for b in {${O.batchSizes.join(", ")}}, each measured against its own exact θ*. ` +
      `On the clean data every G_i vanishes at θ* (the targets are interpolated), so Tr V ` +
      `falls with ‖θ − θ*‖², S / ‖θ − θ*‖² stays positive and SGD converges linearly at a ` +
      `constant η. With the outlier, Tr V stays near its value at θ* and SGD stalls: over the ` +
      `second half of the runs at b = ${O.chartBatchSize} the median ‖θ − θ*‖² is ` +
      `${secondHalf(OUTLIER_DATA.clean)} on the clean data and ` +
      `${secondHalf(OUTLIER_DATA.outlier)} with the outlier. Between two draws of the ` +
      `outlier the other samples pull θ back to θ_fit, the course's state, where S < 0 for ` +
      `small b; each draw of the outlier kicks θ away by η‖G_0‖. The chart shows b = ` +
      `${O.chartBatchSize}; the CSV has every batch size.`,
  };
}

/** mnist_speed and mnist_distance, where θ* is approximated by θ̂*. */
function mnistNotes(tables: ConvergenceTables, profile: ConvergenceProfile) {
  const M = profile.mnist, [star] = tables.mnist_theta_star, mnist = tables.mnist_speed;
  const mmc = tables.mnist_monte_carlo;
  const negative = (b: number) => mnist.filter((r) => r.batch_size === b && r.speed < 0).length;
  const ends = M.batchSizes.map((b) => `${prose(lastOf(mnist, b).distance_squared)} (b = ${b})`);
  return {
    mnist_speed: `MNIST, ${M.trainSize} training digits, a 784-${M.hidden}-10 relu network ` +
      `(${star.parameters} parameters), softmax cross-entropy, SGD at η = ${M.learningRate}. ` +
      `θ* is not known here: it is approximated by θ̂*, the end of ${M.fullBatchSteps} steps ` +
      `of full-batch gradient descent (η = ${M.fullBatchLearningRate}) from the same θ_0 as ` +
      `the SGD runs (mnist_theta_star.csv: training loss ${prose(star.train_loss)}, accuracy ` +
      `${star.train_accuracy}, ‖∇R(θ̂*)‖ = ${prose(star.gradient_norm)}). The network fits ` +
      `this subset, so the cross-entropy has no finite minimiser and θ̂* depends on the length ` +
      `of that run; S here is the expected decrease of the squared distance to θ̂*, one ` +
      `near-minimiser among many. S is negative at ` +
      M.batchSizes.map((b) => `${negative(b)} (b = ${b})`).join(", ") +
      ` of the ${mnist.length / M.batchSizes.length} checkpoints of each run. Where the ` +
      `variance term exceeds the progress term SGD moves away from θ̂* on average while its ` +
      `training loss can still fall: it heads for another near-minimiser. ${
        mmc.filter((r) => r.within_4_se).length
      } of ${mmc.length} Monte Carlo checks (mnist_monte_carlo.csv, ${M.draws} real SGD steps ` +
      `each) are within 4 standard errors of the closed form.`,
    mnist_distance: `‖θ − θ̂*‖² along the SGD runs, θ̂* being the end of the long full-batch ` +
      `run (an approximation of θ*): from ${prose(mnist[0].distance_squared)} to ` +
      `${ends.join(", ")}.`,
  };
}

/** The note groups, in the order their notes are written. */
const NOTE_GROUPS = [
  linearNotes,
  learningRateNotes,
  outlierStateNotes,
  outlierRunsNotes,
  mnistNotes,
] as const;

/**
 * The notes of the reproduction: how to read each table and chart, with its figures.
 *
 * @example
 * ```ts
 * import { convergenceNotes, convergenceTables, smokeProfile } from "@lib/experiments/convergence/mod.ts";
 * import assert from "node:assert/strict";
 * const options = { seed: 1, profile: smokeProfile };
 * const tables = {
 *   ...(await convergenceTables("linear", options)),
 *   ...(await convergenceTables("outlier", options)),
 *   ...(await convergenceTables("mnist", options)),
 * };
 * const notes = convergenceNotes(tables, smokeProfile);
 * assert.match(notes.mnist_speed, /approximated by θ̂/);
 * ```
 */
export function convergenceNotes(
  tables: ConvergenceTables,
  profile: ConvergenceProfile,
): Record<string, string> {
  return Object.assign({}, ...NOTE_GROUPS.map((group) => group(tables, profile)));
}

/**
 * The headline of `convergence`: how many Monte Carlo checks agree with the closed form, S at
 * θ_fit with the outlier against full-batch gradient descent, and where the sweep's S changes
 * sign beside the course's η-free value.
 *
 * @throws {RangeError} when a table is missing or a row lacks a column
 * @example
 * ```ts
 * import { convergenceHeadline } from "@lib/experiments/convergence/notes.ts";
 * import { CONVERGENCE_PARTS, smokeProfile } from "@lib/experiments/convergence/profile.ts";
 * import { convergenceTables } from "@lib/experiments/convergence/run.ts";
 * import { encodeTables } from "@lib/experiments/convergence/rows.ts";
 * import assert from "node:assert/strict";
 * const tables = {};
 * for (const part of CONVERGENCE_PARTS) {
 *   Object.assign(tables, encodeTables(await convergenceTables(part, { seed: 1, profile: smokeProfile })));
 * }
 * const lines = convergenceHeadline({ tables, charts: {}, notes: {} });
 * assert.equal(lines.length, 3);
 * assert.match(lines[0], /^Monte Carlo vs closed form: \d+ of 6 within 4 standard errors/);
 * ```
 */
export function convergenceHeadline(output: ReproductionOutput): string[] {
  const tables = decodeTables(output.tables);
  const checks = [...tables.linear_monte_carlo, ...tables.mnist_monte_carlo];
  const out = tables.outlier_state.find((r) =>
    r.data === OUTLIER_DATA.outlier && r.sampling === SAMPLINGS.uniform
  )!;
  const sweep = tables.linear_learning_rate[0];
  return [
    `Monte Carlo vs closed form: ${checks.filter((r) => r.within_4_se).length} of ` +
    `${checks.length} within 4 standard errors (largest |z| ${largestZ(checks)})`,
    `one outlier at θ_fit, b = ${out.batch_size}: S = ${prose(out.speed)}, full-batch S ` +
    `${prose(out.full_batch_speed)}`,
    `S at θ_0 changes sign at η = ${prose(sweep.zero_crossing)}; the course's η-free line ` +
    `gives ${prose(sweep.course_value)}`,
  ];
}
