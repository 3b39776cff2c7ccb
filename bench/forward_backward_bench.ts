/**
 * Forward vs backward pass, per configuration: the course grid n ∈ {64, 256, 1024},
 * B ∈ {32, 256}, L ∈ {2, 4, 8} (L hidden layers of n units, n inputs, scalar output, tanh,
 * squared error) and the 784-256-256-10 classifier at B = 128 (relu, softmax cross-entropy).
 * Run with `deno task bench`, or `deno task bench:report` for the ratio table.
 *
 * Each configuration is a group whose baseline is the forward pass. Names are parseable:
 * `<pass> <config>`, where pass is `fwd` (`net.forward(x, pass)`), `bwd` (`net.backward(pass, g)`
 * alone, on a stored forward pass with a precomputed output gradient) or `step` (the training
 * step `net.lossAndGradient`: forward + loss + backward), and config is a name that
 * `passConfigFromName` reads back. Every call reuses one `MlpPass` workspace, built outside the
 * timed region (explicit timers), so nothing is allocated while timing forward or backward.
 *
 * The `elementwise` group times what the FLOP model counts apart from the products: tanh, relu,
 * sigmoid and softplus and their derivatives (`<map> forward|backward entries=65536`) against a
 * 256×257×256 product as the baseline, and a plain `Math.tanh` loop, the forward's tanh before
 * the vectorised kernel. One entry's cost in product FLOPs ("FLOP-equivalents") is
 * (map time / 65,536) / (product time / (2·256·257·256)); the target is at most 10. Each map
 * runs twice: on plain `Float64Array`s (`<map> forward|backward entries=65536`, staged through
 * the maps' own WebAssembly memory) and on arrays of the products' WebAssembly memory
 * (`<map> forward|backward kernel-memory entries=65536`, from `allocateKernelArray`, mapped in
 * place as the training loop's workspaces are).
 *
 * @module
 */
import {
  classifierConfig,
  courseGrid,
  type FlopModel,
  flopModel,
  type PassConfig,
  type PassWorkload,
  passWorkload,
  Random,
  relu,
  sigmoid,
  softplus,
  tanh,
} from "@lib/mod.ts";
import { allocateKernelArray, matmul } from "@lib/kernels/mod.ts";

/** The configurations, smallest first. */
const CONFIGS: PassConfig[] = [
  ...courseGrid({ n: [64, 256, 1024], batch: [32, 256], hidden: [2, 4, 8] }),
  classifierConfig(),
];

const workloads = new Map<string, PassWorkload>();

/** The workload of a configuration, built on first use (outside any timed region). */
function workload(config: PassConfig): PassWorkload {
  let w = workloads.get(config.name);
  if (w === undefined) {
    w = passWorkload(config, { random: new Random(2018) });
    workloads.set(config.name, w);
  }
  return w;
}

/**
 * Iteration hints from the expected time (at ~10 GFLOP/s): slow benches run a few iterations
 * worth about half a second, fast ones are left to deno bench's own budget.
 */
function hints(flops: number): { n?: number; warmup?: number } {
  const ms = flops / 1e7;
  return ms < 20 ? {} : { n: Math.max(3, Math.round(500 / ms)), warmup: 1 };
}

/** The three timed calls, with the FLOP count each one does. */
const PASSES = [
  ["fwd", (w: PassWorkload) => w.forward, (f: FlopModel) => f.forward.total],
  ["bwd", (w: PassWorkload) => w.backward, (f: FlopModel) => f.backward.total],
  ["step", (w: PassWorkload) => w.step, (f: FlopModel) => f.step.total],
] as const;

for (const config of CONFIGS) {
  for (const [pass, call, flops] of PASSES) {
    Deno.bench({
      name: `${pass} ${config.name}`,
      group: config.name,
      baseline: pass === "fwd",
      ...hints(flops(flopModel(config.sizes, { batch: config.batch }))),
      fn(b) {
        const fn = call(workload(config));
        b.start();
        fn();
        b.end();
      },
    });
  }
}

// Elementwise work against a product: 65,536 entries of z ~ N(0, 1), the spread a Glorot layer
// gives its pre-activations, since the cost of Math.tanh depends on its argument.
const ENTRIES = 65536;
const random = new Random(7);
const z = random.normalMatrix(256, 256).data, x = new Float64Array(ENTRIES);
const g = random.normalMatrix(256, 256).data, out = new Float64Array(ENTRIES);
tanh.forward(z, { out: x, n: ENTRIES });
const theta = random.normalMatrix(256, 257).data, input = random.normalMatrix(257, 256).data;
const product = new Float64Array(256 * 256);

Deno.bench({
  name: "matmul NN m=256 k=257 n=256",
  group: "elementwise",
  baseline: true,
  fn: () => matmul(theta, input, { out: product, m: 256, k: 257, n: 256 }),
});
Deno.bench({
  name: `tanh forward entries=${ENTRIES}`,
  group: "elementwise",
  fn: () => tanh.forward(z, { out, n: ENTRIES }),
});
Deno.bench({
  name: `Math.tanh loop entries=${ENTRIES}`, // what tanh forward cost before lib/tanh_kernel.ts
  group: "elementwise",
  fn: () => {
    for (let i = 0; i < ENTRIES; i++) out[i] = Math.tanh(z[i]);
  },
});
Deno.bench({
  name: `tanh backward entries=${ENTRIES}`,
  group: "elementwise",
  fn: () => tanh.backward(g, { z, x, out, n: ENTRIES }),
});
Deno.bench({
  name: `relu forward entries=${ENTRIES}`,
  group: "elementwise",
  fn: () => relu.forward(z, { out, n: ENTRIES }),
});
Deno.bench({
  name: `relu backward entries=${ENTRIES}`,
  group: "elementwise",
  fn: () => relu.backward(g, { z, x, out, n: ENTRIES }),
});
for (const [name, map] of [["sigmoid", sigmoid], ["softplus", softplus]] as const) {
  Deno.bench({
    name: `${name} forward entries=${ENTRIES}`,
    group: "elementwise",
    fn: () => map.forward(z, { out, n: ENTRIES }),
  });
  Deno.bench({
    name: `${name} backward entries=${ENTRIES}`,
    group: "elementwise",
    fn: () => map.backward(g, { z, x, out, n: ENTRIES }),
  });
}

// The same maps on arrays that live in the products' WebAssembly memory, mapped in place.
const kernelCopy = (a: Float64Array) => {
  const k = allocateKernelArray(a.length);
  k.set(a);
  return k;
};
const kz = kernelCopy(z),
  kx = kernelCopy(x),
  kg = kernelCopy(g),
  kout = allocateKernelArray(ENTRIES);
for (
  const [name, map] of [["tanh", tanh], ["relu", relu], ["sigmoid", sigmoid], [
    "softplus",
    softplus,
  ]] as const
) {
  Deno.bench({
    name: `${name} forward kernel-memory entries=${ENTRIES}`,
    group: "elementwise",
    fn: () => map.forward(kz, { out: kout, n: ENTRIES }),
  });
  Deno.bench({
    name: `${name} backward kernel-memory entries=${ENTRIES}`,
    group: "elementwise",
    fn: () => map.backward(kg, { z: kz, x: kx, out: kout, n: ENTRIES }),
  });
}
