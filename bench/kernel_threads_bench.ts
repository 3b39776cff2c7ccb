/**
 * One thread against two for the training step (`passWorkload(config).step`: forward, loss,
 * backward), per configuration: the targets are ≥ 1.6× at n=1024 B=256 on an idle machine
 * and never more than 5 % slower on the small configurations (whose products are all below
 * PARALLEL_PRODUCT_FLOPS, so they never reach the helper). Names are `step threads=<1|2>
 * <config>`; each configuration is a group with one thread as its baseline.
 *
 * The thread count is set only when it changes (a bench's first call waits, up to a second, for
 * the helper to be ready), so the two-thread rows include the library's back-off after splits that
 * do not pay, as a program would see it. Run on an otherwise idle machine:
 * `deno bench --allow-read --allow-env bench/kernel_threads_bench.ts`.
 *
 * @module
 */
import { classifierConfig, courseConfig, type PassConfig, passWorkload, Random } from "@lib/mod.ts";
import { kernelThreadsActive, useKernelThreads } from "@lib/kernels/mod.ts";

const CONFIGS: PassConfig[] = [
  courseConfig(64, { batch: 256, hidden: 4 }),
  courseConfig(256, { batch: 32, hidden: 4 }),
  courseConfig(256, { batch: 256, hidden: 4 }),
  courseConfig(1024, { batch: 32, hidden: 4 }),
  courseConfig(1024, { batch: 256, hidden: 4 }),
  classifierConfig(),
];

const idle = new Int32Array(new SharedArrayBuffer(4));
let current = 0;

/** Sets the thread count if it changed; for 2, runs `warm` until the helper is ready (≤ 1 s). */
function threads(count: 1 | 2, warm: () => void): void {
  if (count === current) return;
  current = count;
  useKernelThreads(count);
  const deadline = performance.now() + 1000;
  while (count === 2 && kernelThreadsActive() < 2 && performance.now() < deadline) {
    warm();
    Atomics.wait(idle, 0, 0, 1);
  }
}

for (const config of CONFIGS) {
  const step = passWorkload(config, { random: new Random(2018) }).step;
  const slow = config.sizes[1] >= 1024 && config.batch >= 256;
  for (const count of [1, 2] as const) {
    Deno.bench({
      name: `step threads=${count} ${config.name}`,
      group: config.name,
      baseline: count === 1,
      ...(slow ? { n: 6, warmup: 1 } : {}),
      fn: () => {
        threads(count, step);
        step();
      },
    });
  }
}
