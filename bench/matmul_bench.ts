/**
 * Matrix-product benches: the three product forms of backpropagation against a naive triple loop,
 * per size. Run with `deno bench bench/matmul_bench.ts` (add `--json` for the report).
 *
 * Names are parseable: `<impl> <form> m=<m> k=<k> n=<n>`, where impl is `naive` (the baseline:
 * textbook i-j-p loop), `matmul` (lib/kernels/mod.ts as the library runs it: WebAssembly SIMD when
 * available; operands in ordinary Float64Arrays, copied into the WebAssembly memory), `resident`
 * (the same with operands from allocateKernelArray, used in place), `threads2` (`matmul` with
 * useKernelThreads(2): a worker takes chunks of rows or columns; only for products large enough
 * to be split; every call sets the threads afresh, so the back-off after a split that did not pay
 * never applies) or `typescript` (lib/kernels/mod.ts forced onto its TypeScript fallback), and
 * form is
 * `NN` (matmul, A·B), `TN` (matmulTransposeA, Aᵀ·B) or `NT` (matmulTransposeB, A·Bᵀ). Every
 * bench does one product of 2·m·n·k floating-point operations, so GFLOP/s = 2·m·n·k / avg_ns.
 * `matmul`, `resident` and `typescript` run on one thread (the library's default is two on the
 * main thread). bench/gemm_parts_bench.ts times the kernel's parts.
 *
 * @module
 */
import { kernels } from "@lib/mod.ts";

const {
  allocateKernelArray,
  kernelThreadsActive,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  PARALLEL_PRODUCT_FLOPS,
  useKernelBackend,
  useKernelThreads,
} = kernels;
type ProductSizes = kernels.ProductSizes;

type Form = "NN" | "TN" | "NT";
const KERNELS: Record<Form, (a: Float64Array, b: Float64Array, s: ProductSizes) => void> = {
  NN: matmul,
  TN: matmulTransposeA,
  NT: matmulTransposeB,
};

/** Values in [-1, 1) from a fixed-seed 32-bit LCG. */
function filled(length: number, seed: number): Float64Array {
  const x = new Float64Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/** The textbook product C = A·B, one dot product per entry (i-j-p order). */
function naive(
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
  m: number,
  k: number,
  n: number,
) {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
}

const idle = new Int32Array(new SharedArrayBuffer(4));

/** Sets the kernels' thread count; for 2, waits (up to a second) until the helper is ready. */
function threads(count: 1 | 2): void {
  useKernelThreads(count);
  const deadline = performance.now() + 1000;
  while (count === 2 && kernelThreadsActive() < 2 && performance.now() < deadline) {
    Atomics.wait(idle, 0, 0, 1);
  }
}

/** Bench options that keep slow cases (over ~0.05 s per call) to a few iterations. */
function iterations(flops: number): { n?: number; warmup?: number } {
  return flops > 1e8 ? { n: 4, warmup: 1 } : {};
}

const SIZES: [number, number, number][] = [[256, 256, 256], [1024, 256, 1024], [64, 64, 32]];

for (const [m, k, n] of SIZES) {
  const group = `matmul m=${m} k=${k} n=${n}`;
  const dims = `m=${m} k=${k} n=${n}`;
  // All forms read A and B with m·k and k·n entries; Aᵀ·B reads A as k×m, A·Bᵀ reads B as n×k.
  const a = filled(m * k, 1), b = filled(k * n, 2), out = new Float64Array(m * n);
  const flops = 2 * m * n * k;

  Deno.bench({
    name: `naive NN ${dims}`,
    group,
    baseline: true,
    ...(flops > 1e7 ? { n: 3, warmup: 1 } : {}),
    fn: () => naive(a, b, out, m, k, n),
  });
  for (const form of ["NN", "TN", "NT"] as const) {
    const kernel = KERNELS[form];
    Deno.bench({
      name: `matmul ${form} ${dims}`,
      group,
      fn: () => {
        threads(1);
        kernel(a, b, { out, m, k, n });
      },
    });
  }
  if (flops >= PARALLEL_PRODUCT_FLOPS) {
    for (const form of ["NN", "TN", "NT"] as const) {
      const kernel = KERNELS[form];
      Deno.bench({
        name: `threads2 ${form} ${dims}`,
        group,
        fn: () => {
          threads(2);
          kernel(a, b, { out, m, k, n });
        },
      });
    }
  }
  const ra = allocateKernelArray(m * k), rb = allocateKernelArray(k * n);
  const rout = allocateKernelArray(m * n);
  ra.set(a);
  rb.set(b);
  for (const form of ["NN", "TN", "NT"] as const) {
    const kernel = KERNELS[form];
    Deno.bench({
      name: `resident ${form} ${dims}`,
      group,
      fn: () => {
        threads(1);
        kernel(ra, rb, { out: rout, m, k, n });
      },
    });
  }
  for (const form of ["NN", "TN", "NT"] as const) {
    const kernel = KERNELS[form];
    Deno.bench({
      name: `typescript ${form} ${dims}`,
      group,
      ...iterations(flops),
      fn: () => {
        threads(1);
        const previous = useKernelBackend("typescript");
        try {
          kernel(a, b, { out, m, k, n });
        } finally {
          useKernelBackend(previous);
        }
      },
    });
  }
}
