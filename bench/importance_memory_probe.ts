/**
 * Where an importance unit's memory goes: runs one unit of the full profile shortened (the code
 * path of lib/experiments/importance/run.ts: setup, fit with the test and training-subset
 * evaluations, every checkpoint analysis at full size, θ̂*, the Monte Carlo check, step costs),
 * printing after each phase the process's VmRSS and VmHWM, `Deno.memoryUsage()` and the size of
 * the products' WebAssembly memory.
 *
 * ```sh
 * deno run -A bench/importance_memory_probe.ts [--sampler upper-bound] [--steps 200]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadWasm, stagingStart } from "@lib/kernels/wasm_arena.ts";
import { importanceProfiles } from "@lib/experiments/importance/profile.ts";
import { importanceSetup, LOSS } from "@lib/experiments/importance/setup.ts";
import { type ImportanceSamplerId, SAMPLERS } from "@lib/experiments/importance/registry.ts";
import { exactVariance } from "@lib/sampling/exact_variance.ts";
import { monteCarloVariance } from "@lib/sampling/monte_carlo_variance.ts";
import { interleavedStepCosts } from "@lib/experiments/importance/step_costs.ts";
import { fit } from "@lib/train.ts";
import { Random } from "@lib/random.ts";

// --worker N: run the probe in N module workers at once (as the reproduction runs units), their
// rows interleaved; the process's VmRSS/VmHWM then cover all of them
const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
  "undefined";
const argv = inWorker ? JSON.parse(self.name) as string[] : Deno.args;
const args = parseArgs({
  args: argv,
  options: {
    worker: { type: "string", default: "0" },
    sampler: { type: "string", default: "uniform" },
    steps: { type: "string", default: "200" },
    rounds: { type: "string", default: "2" },
    tag: { type: "string", default: "main" },
    repeat: { type: "string", default: "1" },
  },
});
const MiB = 1024 * 1024;
const t0 = performance.now();

function status(key: string): number {
  const m = Deno.readTextFileSync("/proc/self/status").match(new RegExp(`${key}:\\s+(\\d+) kB`));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Resident MiB of the process's WebAssembly memories (every thread's): V8 maps each as its
 * accessible part (rw-p) followed by the rest of a reservation of 4 GiB or more (---p), so an
 * rw-p mapping so continued is one; its Rss is what was touched.
 */
function wasmResident(): number {
  const maps: { start: bigint; end: bigint; perm: string; rss: number }[] = [];
  for (const line of Deno.readTextFileSync("/proc/self/smaps").split("\n")) {
    const h = line.match(/^([0-9a-f]+)-([0-9a-f]+) (\S+) /);
    if (h) maps.push({ start: BigInt("0x" + h[1]), end: BigInt("0x" + h[2]), perm: h[3], rss: 0 });
    const r = line.match(/^Rss:\s+(\d+) kB/);
    if (r && maps.length > 0) maps[maps.length - 1].rss = Number(r[1]);
  }
  let rss = 0;
  for (let i = 0; i + 1 < maps.length; i++) {
    const m = maps[i], next = maps[i + 1];
    if (
      m.perm === "rw-p" && next.perm === "---p" && next.start === m.end &&
      next.end - m.start >= 4n * 1024n ** 3n
    ) rss += m.rss;
  }
  return rss / 1024;
}

function phase(name: string): void {
  const u = Deno.memoryUsage(), wasm = loadWasm()?.memory.buffer.byteLength ?? 0;
  const f = (v: number) => v.toFixed(0).padStart(6);
  console.log(
    `${args.values.tag} ${name.padEnd(34)} rss ${f(status("VmRSS"))} hwm ${
      f(status("VmHWM"))
    } heapUsed ${f(u.heapUsed / MiB)} heapTotal ${f(u.heapTotal / MiB)} external ${
      f(u.external / MiB)
    } wasm ${f(wasm / MiB)} (resident ${f(wasmResident())}, arrays ${
      f(stagingStart() * 8 / MiB)
    }) MiB  ${((performance.now() - t0) / 1000).toFixed(1)}s`,
  );
}

const workers = Number(args.values.worker);
if (!inWorker && workers > 0) {
  const done = Array.from({ length: workers }, (_, k) => {
    const name = JSON.stringify([...argv, "--worker", "0", "--tag", `w${k}`]);
    const w = new Worker(import.meta.url, { type: "module", name });
    return new Promise<void>((resolve) => w.onmessage = () => (w.terminate(), resolve()));
  });
  await Promise.all(done);
  phase("workers done");
  Deno.exit(0);
}
const steps = Number(args.values.steps), half = steps / 2;
const P = {
  ...importanceProfiles.full,
  steps,
  evaluateEvery: half,
  checkpoints: [0, half, steps],
  thetaStarSteps: steps,
};
const id = args.values.sampler as ImportanceSamplerId;
phase("start");
// --repeat k: k units in a row in the same thread, as a reproduction's worker runs its units
for (let seed = 1; seed <= Number(args.values.repeat); seed++) {
  console.log(`unit ${seed}`);
  const setup = await importanceSetup(seed, P);
  phase("setup");
  const spec = SAMPLERS[id], sampler = spec.make(P.presample), model = setup.model.clone();
  const models = [model.clone()];
  await fit(model, setup.train, {
    loss: LOSS,
    random: new Random(setup.trainingSeed),
    batchSize: P.batchSize,
    learningRate: P.learningRate,
    steps: P.steps,
    sampler,
    evaluateEvery: P.evaluateEvery,
    trainSubset: P.trainSubset,
    test: setup.test,
    progress: "none",
    onEvaluate: (row) => {
      if (row.step > 0) models.push(model.clone());
      phase(`fit: evaluated step ${row.step}`);
    },
  });
  sampler.reset?.(); // as run.ts does
  phase("fit done");
  let last = null;
  for (const [k, m] of models.entries()) {
    last = exactVariance(m, setup.analysis, {
      loss: LOSS,
      batchSize: P.batchSize,
      presampleSize: Math.round(P.presample * P.batchSize),
      presamples: P.presamples,
      random: setup.analysisRandom.fork(),
    });
    phase(`exactVariance checkpoint ${k}`);
  }
  console.log(`(last uniform Tr V ${last!.uniform})`);
  const star = model.clone();
  await fit(star, setup.train, {
    loss: LOSS,
    random: new Random(setup.trainingSeed).fork(),
    batchSize: P.batchSize,
    learningRate: (t) => P.learningRate * (1 - t / P.thetaStarSteps),
    steps: P.thetaStarSteps,
    evaluateEvery: P.thetaStarSteps,
    trainSubset: P.trainSubset,
    progress: "none",
  });
  phase("theta* fit");
  for (const checked of ["uniform", "upper-bound"] as const) {
    const mcSampler = SAMPLERS[checked].make(P.presample);
    monteCarloVariance(models.at(-1)!, setup.analysis, {
      loss: LOSS,
      batchSize: P.batchSize,
      draws: P.varianceCheckDraws,
      random: setup.analysisRandom.fork(),
      sampler: mcSampler,
    });
    mcSampler.reset?.(); // as run_uniform.ts does
    phase(`monteCarloVariance ${checked}`);
  }
  interleavedStepCosts(model, setup.train, {
    batchSize: P.batchSize,
    presample: P.presample,
    learningRate: P.learningRate,
    rounds: Number(args.values.rounds),
    random: setup.analysisRandom.fork(),
  });
  phase("step costs");
}
if (inWorker) (self as unknown as { postMessage(m: string): void }).postMessage("done");
