/**
 * `fit` against the bare step, per configuration of `trainingLoopConfigs` (bench/training_loop.ts):
 * in each group, `bare <config>` is `passWorkload(config).step()` (the baseline) and
 * `fit-step <config>` one step of a real `fit` in steady state, uniform sampling and gathering
 * included. Run with `deno bench --allow-read --allow-env bench/training_loop_bench.ts`
 * (`--filter 784-64` for one configuration).
 *
 * The fit is driven one step per bench iteration through its progress reporter, which `fit`
 * awaits after every step: the reporter's promise is resolved by the bench and the next step runs
 * until the next report. The fit runs with evaluation far away, so each iteration is one training
 * step plus one promise hand-over (about a microsecond).
 *
 * @module
 */
import { Mlp, type PassConfig, passWorkload, Random } from "@lib/mod.ts";
import { fit } from "@lib/train.ts";
import type { ProgressReporter } from "@lib/progress.ts";
import { loopDataset, trainingLoopConfigs } from "./loop_configs.ts";

/** A fit that takes one step each time `step()` is awaited. */
function steppedFit(config: PassConfig): () => Promise<void> {
  const data = loopDataset(config, { random: new Random(2) });
  const model = Mlp.create(config.sizes, { random: new Random(3), activation: config.activation });
  let resume: (() => void) | null = null, stepped: (() => void) | null = null;
  const reporter: ProgressReporter = {
    update() {
      stepped?.();
      return new Promise<void>((resolve) => resume = resolve);
    },
  };
  const steps = 10_000_000;
  // never finishes: the last pending report is dropped with the process
  void fit(model, data, {
    loss: config.loss,
    random: new Random(4),
    batchSize: config.batch,
    learningRate: config.loss === "squaredError" ? 1e-4 : 1e-3,
    steps,
    evaluateEvery: steps,
    trainSubset: Math.min(config.batch, data.x.cols),
    progress: reporter,
  });
  return () =>
    new Promise<void>((resolve) => {
      stepped = resolve;
      const go = resume!;
      resume = null;
      go();
    });
}

for (const config of trainingLoopConfigs()) {
  const bare = passWorkload(config, { random: new Random(1) });
  let fitStep: (() => Promise<void>) | null = null;
  Deno.bench({
    name: `bare ${config.name}`,
    group: config.name,
    baseline: true,
    fn: () => bare.step(),
  });
  Deno.bench({
    name: `fit-step ${config.name}`,
    group: config.name,
    async fn(b) {
      fitStep ??= steppedFit(config);
      if (b === undefined) return;
      b.start();
      await fitStep();
      b.end();
    },
  });
}
