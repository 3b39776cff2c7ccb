/**
 * What a presampled importance step costs against a uniform step, with the scoring pass reused by
 * the step (the presampler's default, B + 2b forward-equivalents) and recomputed (`reusePass:
 * "never"`, K&F's B + 3b), split into its draw (sample, score, gather) and its update (forward
 * unless reused, backward, SGD update).
 *
 * Each kind steps as `fit` does (lib/minibatch_step.ts, workspaces in leased kernel memory, finite
 * x not rescanned) on N = 8000 standard normal 784-input samples, and the kinds take turns in
 * interleaved rounds so that load from other processes falls on all of them. It prints medians
 * and 10th percentiles (the less loaded rounds), the step's ratio to a uniform step and that
 * ratio over the forward-equivalent price, and the forward's measured share f of a uniform step
 * (what reusing saved): with it, the price in measured time is (B/b)·f + (1 − f) reused and
 * (B/b)·f + 1 recomputed, which the convention backward = 2 forwards (f = 1/3) turns into
 * (B + 2b)/(3b) and (B + 3b)/(3b).
 *
 * Run as `deno run --allow-read --allow-env bench/presampler_reuse.ts [hidden batch rounds]`
 * (default 32 32 300: the 784-32-32-10 network with b = 32, B = 96). Wall-clock times on a shared
 * machine: compare the ratios of one run.
 *
 * @module
 */
import { Mlp, oneHot, Random } from "@lib/mod.ts";
import { KernelLease } from "@lib/kernel_lease.ts";
import { MinibatchStep } from "@lib/minibatch_step.ts";
import { presampler } from "@lib/sampling/presampler.ts";
import { uniformSampler } from "@lib/sampling/sampler.ts";

const [hidden, b, rounds] = Deno.args.length >= 3 ? Deno.args.map(Number) : [32, 32, 300];
const N = 8000, B = 3 * b, random = new Random(1);
const labels = Int32Array.from({ length: N }, (_, i) => i % 10);
const data = { name: "normal", x: random.normalMatrix(784, N), y: oneHot(labels, 10), labels };
const model = Mlp.create([784, hidden, hidden, 10], { random, activation: "relu" });
const lease = new KernelLease(), allocate = (length: number) => lease.array(length);
const kinds = [
  { name: "uniform", sampler: uniformSampler(), price: 1 },
  {
    name: "presampled, recompute",
    sampler: presampler({ alwaysOn: true, reusePass: "never" }),
    price: (B + 3 * b) / (3 * b),
  },
  {
    name: "presampled, reuse",
    sampler: presampler({ alwaysOn: true }),
    price: (B + 2 * b) / (3 * b),
  },
];
const steppers = kinds.map(({ sampler }) =>
  new MinibatchStep(model.clone(), data, {
    loss: "softmaxCrossEntropy",
    batchSize: b,
    random: new Random(2),
    sampler,
    learningRate: 0.01,
    allocate,
    finiteData: true,
  })
);
const draws = kinds.map(() => [] as number[]), updates = kinds.map(() => [] as number[]);
const warmup = 5;
for (let r = 0; r < rounds + warmup; r++) {
  for (let k = 0; k < kinds.length; k++) {
    const i = (k + r) % kinds.length, step = steppers[i];
    let start = performance.now();
    step.draw();
    const drawn = performance.now() - start;
    start = performance.now();
    const result = step.update();
    const updated = performance.now() - start;
    step.observe(result);
    if (r >= warmup) {
      draws[i].push(drawn);
      updates[i].push(updated);
    }
  }
}
lease.release();

const quantile = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(p * (sorted.length - 1))];
};
console.log(`784-${hidden}-${hidden}-10, b = ${b}, B = ${B}: ${rounds} interleaved rounds`);
for (const [label, p] of [["median", 0.5], ["10th percentile", 0.1]] as const) {
  const step = kinds.map((_, k) => quantile(draws[k], p) + quantile(updates[k], p));
  // the forward's share of a uniform step: what reusing the pass saved, over a uniform step
  const f = (quantile(updates[1], p) - quantile(updates[2], p)) / step[0];
  console.log(`  ${label}: forward share of a uniform step f = ${f.toFixed(2)}`);
  kinds.forEach(({ name, price }, k) => {
    const ratio = step[k] / step[0];
    const measured = k === 0 ? 1 : (B / b) * f + (k === 1 ? 1 : 1 - f);
    console.log(
      `    ${name.padEnd(22)} draw ${quantile(draws[k], p).toFixed(3)} + update ${
        quantile(updates[k], p).toFixed(3)
      } ms = ${ratio.toFixed(2)}× uniform; over the price ${price.toFixed(3)}: ${
        (ratio / price).toFixed(2)
      }; over the price with f: ${(ratio / measured).toFixed(2)}`,
    );
  });
}
