import assert from "node:assert/strict";
import { linearRegression, Mlp, perSampleGradients, Random, setParameterVector } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { renderSvg } from "@lib/plot.ts";
import {
  convergence,
  CONVERGENCE_PARTS,
  convergenceCharts,
  convergenceNotes,
  type ConvergenceTables,
  convergenceTables,
  monteCarloCheck,
  outlierScenario,
  outlierState,
  smokeProfile,
  speedAlongRun,
  type SpeedRow,
} from "@lib/experiments/convergence/mod.ts";
import { decodeTables, encodeTables } from "@lib/experiments/convergence/rows.ts";
import { medianHigh } from "@lib/stats.ts";

const tiny = smokeProfile;

/** Every table of the three parts, as the reproduction's units compute them. */
async function allTables(
  options: { seed: number; profile: typeof tiny },
): Promise<ConvergenceTables> {
  return {
    ...(await convergenceTables("linear", options)),
    ...(await convergenceTables("outlier", options)),
    ...(await convergenceTables("mnist", options)),
  };
}

Deno.test("the reproduction's tables are identical for the same seed and differ for another", async () => {
  for (const part of ["linear", "outlier"] as const) {
    const a = await convergenceTables(part, { seed: 5, profile: tiny });
    const b = await convergenceTables(part, { seed: 5, profile: tiny });
    assert.deepEqual(a, b, part);
    const c = await convergenceTables(part, { seed: 6, profile: tiny });
    assert.notDeepEqual(a, c, part);
  }
});

Deno.test("along a run, the first two terms of S do not depend on b at a shared θ; the variance term is Tr V / b", async () => {
  const { dataset, thetaStar } = linearRegression({
    random: new Random(1),
    n: 64,
    d: 3,
    noise: 0.3,
  });
  const model = Mlp.create([3, 1], { random: new Random(2) });
  const { rows } = await speedAlongRun(model, dataset, {
    loss: "squaredError",
    thetaStar: thetaStar.data,
    learningRate: 0.05,
    batchSizes: [1, 8, 64],
    steps: 40,
    evaluateEvery: 20,
    random: new Random(3),
  });
  const start = rows.filter((r) => r.step === 0); // every run starts at the same θ_0
  assert.equal(start.length, 3);
  for (const r of start) {
    assert.equal(r.progress, start[0].progress);
    assert.equal(r.mean_gradient_term, start[0].mean_gradient_term);
    assert.equal(r.trace_variance, start[0].trace_variance);
    assertClose(r.variance_term, 0.05 ** 2 * r.trace_variance / r.batch_size, {
      rtol: 1e-14,
      atol: 0,
    });
    assertClose(
      r.speed,
      r.progress - r.mean_gradient_term - r.variance_term,
      { rtol: 1e-14, atol: 1e-17 },
    );
  }
  // far from θ*, S is positive and grows with b (smaller variance term)
  assert.ok(start[0].speed > 0);
  assert.ok(start[0].speed < start[1].speed && start[1].speed < start[2].speed);
  // linear regression: Ḡ = H(θ − θ*) with H ⪰ 0, so the progress term is never negative
  assert.ok(rows.every((r) => r.progress >= 0));
});

Deno.test("the closed form agrees with real SGD steps within 4 standard errors at run snapshots, and the course's η-free line does not", async () => {
  for (let seed = 1; seed <= 3; seed++) {
    const { dataset, thetaStar } = linearRegression({
      random: new Random(seed),
      n: 64,
      d: 3,
      noise: 0.5,
    });
    const model = Mlp.create([3, 1], { random: new Random(seed + 10) });
    const common = { loss: "squaredError", thetaStar: thetaStar.data, learningRate: 0.05 };
    const run = await speedAlongRun(model, dataset, {
      ...common,
      batchSizes: [1, 8],
      steps: 50,
      evaluateEvery: 25,
      random: new Random(seed + 20),
      snapshotSteps: [0, 25],
    });
    const rows = monteCarloCheck(model, dataset, {
      ...common,
      snapshots: run.snapshots,
      draws: 4000,
      random: new Random(seed + 30),
    });
    assert.equal(rows.length, 4);
    for (const r of rows) {
      const where = `seed ${seed}, b ${r.batch_size}, step ${r.step}`;
      assert.ok(r.within_4_se, `${where}: z ${r.z_score}`);
      assert.ok(Math.abs(r.monte_carlo - r.closed_form) < 4 * r.standard_error);
      // the course's value is S at η = 1: far outside the estimate's error bars at η = 0.05
      assert.ok(
        Math.abs(r.course_value - r.closed_form) > 8 * r.standard_error,
        `${where}: the course's value is too close to tell apart`,
      );
    }
  }
});

Deno.test("at θ_fit the outlier raises Tr V from 0 to (N − 1)/b ‖Ḡ‖² and lowers S below 0 at b = 1, as the closed form predicts", () => {
  const n = 64, E = 30, eta = 0.05;
  const scenario = outlierScenario({ random: new Random(4), n, d: 3, outlierError: E });
  const rows = outlierState(scenario, {
    learningRate: eta,
    batchSizes: [1, 8, 64],
    draws: 2000,
    random: new Random(5),
  });
  const pick = (data: string, sampling: string, b: number) =>
    rows.find((r) => r.data === data && r.sampling === sampling && r.batch_size === b)!;
  // the exact fit: a0 = [x_0; 1], Δ = θ*_out − θ_fit = E (AᵀA)⁻¹ a0, so h = a0ᵀΔ / E
  const a0 = [...Array.from({ length: 3 }, (_, i) => scenario.outlier.dataset.x.get(i, 0)), 1];
  const delta = scenario.outlier.thetaStar.data.map((v, k) => v - scenario.thetaFit.data[k]);
  const a0Sq = a0.reduce((s, v) => s + v * v, 0);
  const h = a0.reduce((s, v, k) => s + v * delta[k], 0) / E;
  for (const b of [1, 8, 64]) {
    const clean = pick("clean", "uniform", b), out = pick("one outlier", "uniform", b);
    assert.ok(clean.trace_variance_g < 1e-20 && Math.abs(clean.speed) < 1e-20);
    // only G_0 = −E a0 is nonzero: Ḡ = G_0 / N and Tr V[g] = (N − 1)/b ‖Ḡ‖²
    assertClose(out.mean_gradient_squared_norm, (E * E * a0Sq) / (n * n), {
      rtol: 1e-9,
      atol: 0,
    });
    assertClose(
      out.trace_variance_g,
      ((n - 1) / b) * out.mean_gradient_squared_norm,
      { rtol: 1e-9, atol: 0 },
    );
    // S = (η/N)(2E² h − η E² ‖a0‖² (1/N + (N − 1)/(N b)))
    const predicted = (eta / n) *
      (2 * E * E * h - eta * E * E * a0Sq * (1 / n + (n - 1) / (n * b)));
    assertClose(out.speed, predicted, { rtol: 1e-9, atol: 0 });
    assert.ok(out.trace_variance_g > 1e20 * clean.trace_variance_g);
    // importance sampling p ∝ ‖G_i‖ removes the variance: S is the full-batch S
    const optimal = pick("one outlier", "p ∝ ‖G_i‖", b);
    assert.ok(optimal.trace_variance_g < 1e-12 * out.trace_variance_g);
    assertClose(optimal.speed, out.full_batch_speed, { rtol: 1e-12, atol: 0 });
  }
  // S < 0 at b = 1 exactly when η > 2h/‖a0‖²; full-batch S > 0 while η < 2hN/‖a0‖²
  assert.ok(eta > (2 * h) / a0Sq && eta < (2 * h * n) / a0Sq, "the regime the scenario shows");
  const [s1, s8, s64] = [1, 8, 64].map((b) => pick("one outlier", "uniform", b).speed);
  assert.ok(
    s1 < 0 && s1 < s8 && s8 < s64 && s64 < pick("one outlier", "uniform", 1).full_batch_speed,
  );
  // at b = 1 every g is a multiple of G_0, so Var ‖g‖ is Tr V[g] exactly
  const one = pick("one outlier", "uniform", 1);
  assert.equal(one.norm_moment_draws, 0);
  assertClose(one.gradient_norm_variance, one.trace_variance_g, { rtol: 1e-9, atol: 0 });
});

Deno.test("from the same θ_0 and draws, SGD converges on the clean data but stalls with the outlier", async () => {
  const n = 64, eta = 0.05;
  const scenario = outlierScenario({ random: new Random(9), n, d: 3, outlierError: 30 });
  // consistent least squares: each step θ ← θ − η a_i a_iᵀ(θ − θ*) contracts when η‖a_i‖² < 2
  const x = scenario.clean.dataset.x;
  const maxSq = Math.max(
    ...Array.from(
      { length: n },
      (_, j) => 1 + x.get(0, j) ** 2 + x.get(1, j) ** 2 + x.get(2, j) ** 2,
    ),
  );
  assert.ok(eta * maxSq < 2);
  const model = Mlp.create([3, 1], { random: new Random(10) });
  const runs = [];
  for (const data of [scenario.clean, scenario.outlier]) {
    const { rows } = await speedAlongRun(model, data.dataset, {
      loss: "squaredError",
      thetaStar: data.thetaStar.data,
      learningRate: eta,
      batchSizes: [1],
      steps: 1000,
      evaluateEvery: 50,
      random: new Random(11),
    });
    runs.push(rows);
  }
  const [clean, outlier] = runs;
  const secondHalf = (rows: SpeedRow[], key: "distance_squared" | "trace_variance") =>
    medianHigh(rows.filter((r) => r.step > 500).map((r) => r[key]));
  assert.ok(clean.at(-1)!.distance_squared < 1e-8 * clean[0].distance_squared);
  assert.ok(clean.at(-1)!.trace_variance < 1e-8 * clean[0].trace_variance);
  // S ≥ uᵀHu (2η − η² max‖a_i‖²) > 0 at b = 1, until θ − θ* is at the rounding level of θ*
  assert.ok(
    clean.filter((r) => r.distance_squared > 1e-20).every((r) => r.speed > 0),
    "S > 0 on the clean data",
  );
  // with the outlier the distance and Tr V stay orders of magnitude above the clean run's
  assert.ok(
    secondHalf(outlier, "distance_squared") > 1e4 * secondHalf(clean, "distance_squared"),
  );
  assert.ok(
    secondHalf(outlier, "trace_variance") > 1e4 * secondHalf(clean, "trace_variance"),
  );
  assert.ok(outlier.some((r) => r.speed < 0), "S < 0 somewhere on the outlier run");
});

Deno.test("on the MNIST MLP, θ̂* has a lower training loss than θ_0 and real SGD steps match the closed form", async () => {
  const tables = await convergenceTables("mnist", { seed: 2, profile: tiny });
  const [star] = tables.mnist_theta_star;
  const speed = tables.mnist_speed;
  assert.ok(star.train_loss < speed[0].train_loss);
  assert.equal(speed.length, 2 * 3);
  assert.ok(speed.every((r) => Number.isFinite(r.speed)));
  for (const r of tables.mnist_monte_carlo) {
    assert.ok(r.within_4_se, `b ${r.batch_size}: z ${r.z_score}`);
  }
});

Deno.test("the charts render and every title and note about MNIST says θ* is approximated", async () => {
  const tables = await allTables({ seed: 3, profile: tiny });
  const charts = convergenceCharts(tables, tiny);
  assert.deepEqual(Object.keys(charts), [
    "linear_terms",
    "linear_speed",
    "linear_learning_rate",
    "outlier_state",
    "outlier_runs",
    "mnist_speed",
    "mnist_distance",
  ]);
  for (const [name, spec] of Object.entries(charts)) {
    const title = String((spec as { title: unknown }).title);
    assert.match(title, name.startsWith("mnist") ? /θ\* approximated by/ : /exact θ\*/, name);
    assert.match(await renderSvg(spec), /^<svg /, name);
  }
  const notes = convergenceNotes(tables, tiny);
  for (const key of ["mnist_speed", "mnist_distance"]) assert.match(notes[key], /approximat/);
  assert.doesNotMatch(Object.values(notes).join(" "), /NaN|undefined/);
});

Deno.test("at θ_fit the network's per-sample gradients vanish except the outlier's", () => {
  const scenario = outlierScenario({ random: new Random(12), n: 16, d: 2, outlierError: 5 });
  const model = Mlp.create([2, 1], { random: new Random(0) });
  setParameterVector(model, scenario.thetaFit.data);
  const G = perSampleGradients(model, scenario.outlier.dataset, { loss: "squaredError" });
  for (let i = 0; i < 16; i++) {
    let sq = 0;
    for (let k = 0; k < 3; k++) sq += G.get(i, k) ** 2;
    if (i === 0) assert.ok(sq > 1);
    else assert.ok(sq < 1e-24, `sample ${i}: ${sq}`);
  }
});

Deno.test("typed tables survive the unit boundary: encoded columns are in CSV order and decode to the same rows", async () => {
  const tables = await allTables({ seed: 4, profile: tiny });
  const csv = encodeTables(tables);
  assert.deepEqual(decodeTables(csv), tables);
  assert.deepEqual(Object.keys(csv.outlier_runs[0]).slice(0, 4), [
    "data",
    "batch_size",
    "step",
    "train_loss",
  ]);
  assert.deepEqual(Object.keys(csv.linear_speed[0]).slice(0, 3), [
    "batch_size",
    "step",
    "train_loss",
  ]);
  const { data: _, ...withoutData } = csv.outlier_runs[0];
  assert.throws(
    () => decodeTables({ ...csv, outlier_runs: [withoutData] }),
    /cannot read table outlier_runs: row 1 has no column 'data'/,
  );
});

Deno.test("a unit names an unknown part instead of running another", async () => {
  await assert.rejects(
    () =>
      convergence.runUnit!({ id: "x", params: { part: "toString" } }, {
        seed: 1,
        profile: "quick",
      }),
    /cannot run the convergence unit: part "toString" is not one of linear, outlier, mnist/,
  );
  assert.deepEqual([...CONVERGENCE_PARTS], ["linear", "outlier", "mnist"]);
});
