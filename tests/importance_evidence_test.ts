/**
 * Evidence of the gains of importance sampling (issue 5, section 4), on an MNIST subset, seeded.
 *
 * The setup is chosen on principle, not tuned to seeds: importance sampling changes only the
 * variance term η² Tr V_p / b of the convergence speed S, so it can only pay where that term is a
 * sizable part of S, i.e. where SGD is noise-dominated. The first setup tried, b = 16 and
 * η = 0.1, is not: at a θ trained as below its uniform variance term is about a ninth of the
 * progress term, and in a scratch scan on seeds 1–3 the presampled upper bound gained at most one
 * evaluation interval (25 steps) there, and lost one at some targets. With b = 8 and η = 0.2 the
 * uniform variance term is about 40% of the progress term (the first test asserts more than 25%),
 * and the scan showed gains for every importance sampler. The seeds were fixed at 1, 2, 3 beforehand; the seeding below (data split,
 * initialisation and draws all from one seed) was written after the scan and not changed.
 */
import assert from "node:assert/strict";
import { type Dataset, loadMnist, Mlp, Random, uniformSampler } from "@lib/mod.ts";
import { fit, type HistoryRow } from "@lib/train.ts";
import { convergenceSpeed, optimalDistribution, perSampleGradients } from "@lib/convergence.ts";
import { Sgd } from "@lib/sgd.ts";
import { importanceDistribution } from "@lib/sampling/importance_sampler.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import { Scorer } from "@lib/sampling/scores.ts";

const b = 8, eta = 0.2, loss = "softmaxCrossEntropy";

async function setup(
  seed: number,
  n: number,
): Promise<{ data: Dataset; model: Mlp; random: Random }> {
  const random = new Random(seed);
  const { train } = await loadMnist({ random: random.fork(), trainSize: n, testSize: 1 });
  const model = Mlp.create([784, 16, 10], { random: random.fork(), activation: "relu" });
  return { data: train, model, random };
}

Deno.test("at a partly trained θ on MNIST, S with upper-bound sampling exceeds S with uniform, and S with exact gradient-norm sampling is at least both", async () => {
  const { data, model, random } = await setup(1, 300);
  // θ: 100 uniform SGD steps from the initialisation
  await fit(model, data, {
    loss,
    random: random.fork(),
    batchSize: b,
    learningRate: eta,
    steps: 100,
    progress: "none",
  });
  // θ*: 300 full-batch gradient steps from θ (training loss 0.006, from 0.62 at θ). Only the
  // variance term depends on p, so the ordering below holds for any θ*; θ* sets the progress term.
  const star = model.clone();
  const gd = new Sgd(star, { loss, learningRate: 0.5 });
  for (let t = 0; t < 300; t++) gd.step(data.x, data.y);
  const G = perSampleGradients(model, data, { loss });
  const options = { theta: model, thetaStar: star, learningRate: eta, batchSize: b };
  const bound = new Scorer("upperBound", { loss }).scoreColumns(model, data);
  const uniform = convergenceSpeed(G, options);
  const upper = convergenceSpeed(G, { ...options, p: importanceDistribution(bound) });
  const exact = convergenceSpeed(G, { ...options, p: optimalDistribution(G) });
  const report = [uniform, upper, exact].map((s) =>
    `S ${s.speed.toFixed(5)} (Tr V ${s.traceVariance.toFixed(3)})`
  );
  // the regime: uniform's noise costs a sizable share of the progress
  assert.ok(
    uniform.varianceTerm > 0.25 * uniform.progress,
    `uniform: ${report[0]}, progress ${uniform.progress}`,
  );
  // the terms that do not depend on p are equal
  assert.equal(upper.progress, uniform.progress);
  assert.equal(upper.meanGradientTerm, uniform.meanGradientTerm);
  assert.ok(uniform.speed > 0, `a step that makes progress: ${report[0]}`);
  assert.ok(upper.speed > uniform.speed, `upper bound ${report[1]} vs uniform ${report[0]}`);
  // p ∝ ‖G_i‖ minimises Tr V exactly; 1e-12 of slack for rounding in the sums
  const slack = 1e-12 * Math.abs(uniform.progress);
  assert.ok(exact.speed >= upper.speed - slack, `exact ${report[2]} vs upper bound ${report[1]}`);
  assert.ok(exact.speed >= uniform.speed - slack);
});

/** The first evaluated step at which the training loss is at most `target`, or Infinity. */
function stepsTo(history: HistoryRow[], target: number): number {
  return history.find((row) => row.train_loss <= target)?.step ?? Infinity;
}

Deno.test("presampled upper-bound importance sampling reaches training loss 0.1 in fewer iterations than uniform on MNIST, seeds 1, 2, 3", async () => {
  const target = 0.1, results: string[] = [];
  for (const seed of [1, 2, 3]) {
    const { data, model, random } = await setup(seed, 500);
    const reached: Record<string, number> = {};
    const trainingSeed = random.uint32();
    for (
      const [name, sampler] of [["uniform", uniformSampler()], [
        "upper bound",
        presampler({ alwaysOn: true }),
      ]] as const
    ) {
      const history = await fit(model.clone(), data, {
        loss,
        random: new Random(trainingSeed),
        batchSize: b,
        learningRate: eta,
        steps: 600,
        sampler,
        evaluateEvery: 10,
        progress: "none",
      });
      reached[name] = stepsTo(history, target);
    }
    results.push(
      `seed ${seed}: uniform ${reached["uniform"]}, upper bound ${reached["upper bound"]}`,
    );
    assert.ok(reached["upper bound"] < reached["uniform"], results.join("; "));
  }
});
