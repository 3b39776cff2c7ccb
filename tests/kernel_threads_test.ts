import assert from "node:assert/strict";
import {
  allocateKernelArray,
  kernelCounters,
  kernelThreadsActive,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  type ProductSizes,
  useKernelThreads,
  wasmKernelsAvailable,
} from "@lib/kernels/mod.ts";

type Form = "A·B" | "Aᵀ·B" | "A·Bᵀ";
const FORMS: Form[] = ["A·B", "Aᵀ·B", "A·Bᵀ"];

/** Deterministic values in [-1, 1) (a 32-bit LCG). */
function filled(length: number, seed: number): Float64Array {
  const x = new Float64Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

function run(
  form: Form,
  a: Float64Array,
  b: Float64Array,
  sizes: ProductSizes & { lda?: number },
): void {
  if (form === "A·B") matmul(a, b, sizes);
  else if (form === "Aᵀ·B") matmulTransposeA(a, b, sizes);
  else matmulTransposeB(a, b, sizes);
}

/** Waits (up to 5 s) until products can use two threads; false if they never could. */
async function helperReady(): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (kernelThreadsActive() < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return kernelThreadsActive() === 2;
}

/** What `code` prints in a fresh `deno eval` (with env and read access, and `env` set). */
async function evalOutput(code: string, env: Record<string, string> = {}): Promise<string> {
  const { code: status, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--allow-env", "--allow-read", code],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(status, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim();
}

Deno.test("two threads give bit-identical results to one thread, for every form, operand kind and cut (rows or columns)", async () => {
  if (!wasmKernelsAvailable()) return;
  // 2·m·n·k ≈ 34 M ≥ PARALLEL_PRODUCT_FLOPS: cut into columns (m < n), then rows (m ≥ n)
  for (const [m, k, n] of [[131, 257, 509], [509, 257, 131]]) {
    const a = filled(m * k, 11), b = filled(k * n, 12), c0 = filled(m * n, 13);
    const residentA = allocateKernelArray(m * k), residentOut = allocateKernelArray(m * n);
    residentA.set(a);
    const cases: [string, Float64Array, Float64Array][] = [
      ["plain", a, new Float64Array(m * n)],
      ["resident", residentA, residentOut],
    ];
    try {
      for (const form of FORMS) {
        for (const accumulate of [false, true]) {
          for (const [kind, left, out] of cases) {
            useKernelThreads(1);
            const expected = c0.slice();
            run(form, left, b, { out: expected, m, k, n, accumulate, lda: m });
            useKernelThreads(2);
            assert.ok(await helperReady(), "the helper worker did not start");
            out.set(c0);
            const splits = kernelCounters.splitProducts;
            run(form, left, b, { out, m, k, n, accumulate, lda: m });
            assert.equal(kernelCounters.splitProducts, splits + 1, "the product was not split");
            assert.deepEqual(
              out,
              expected,
              `${form} ${kind} m=${m} n=${n} accumulate=${accumulate}`,
            );
          }
        }
      }
    } finally {
      useKernelThreads(1);
    }
  }
  assert.equal(kernelThreadsActive(), 1);
});

Deno.test("an idle helper thread exits on its own and the next large product restarts it", async () => {
  if (!wasmKernelsAvailable()) return;
  try {
    useKernelThreads(2);
    assert.ok(await helperReady());
    const deadline = Date.now() + 6000; // HELPER_IDLE_MS is 250
    while (kernelThreadsActive() === 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(kernelThreadsActive(), 1);
    const x = filled(256 * 256, 14), out = new Float64Array(256 * 256);
    matmul(x, x, { out, m: 256, k: 256, n: 256 }); // one thread, and restarts the helper
    assert.ok(await helperReady());
  } finally {
    useKernelThreads(1);
  }
  assert.throws(() => useKernelThreads(3), /cannot use 3 kernel threads/);
});

Deno.test("the first large product of a process starts the helper without disturbing its own operands", async () => {
  if (!wasmKernelsAvailable()) return;
  const url = new URL("../lib/kernels/mod.ts", import.meta.url).href;
  const code = `
    import { matmul } from "${url}";
    const m = 257, a = new Float64Array(m * m).map((_, i) => Math.sin(i));
    const outs = [];
    for (let r = 0; r < 2; r++) {
      const out = new Float64Array(m * m);
      matmul(a, a, { out, m, k: m, n: m }); // the first one starts the helper, by default
      outs.push(Array.from(new Uint8Array(out.buffer), (x) => x.toString(16)).join(""));
    }
    console.log(outs.join(" "));`;
  const [two, one] = [
    await evalOutput(code),
    await evalOutput(code, { SGDLAB_KERNEL_THREADS: "1" }),
  ];
  assert.ok(two.length > 1000);
  assert.equal(two, one);
});

Deno.test("two threads are the default on the main thread, one inside a worker or with SGDLAB_KERNEL_THREADS=1", async () => {
  if (navigator.hardwareConcurrency < 2) return;
  const url = new URL("../lib/kernels/threads.ts", import.meta.url).href;
  const main = `import { useKernelThreads } from "${url}"; console.log(useKernelThreads(1));`;
  assert.equal(await evalOutput(main), "2");
  assert.equal(await evalOutput(main, { SGDLAB_KERNEL_THREADS: "1" }), "1");
  const inner = `import { useKernelThreads } from "${url}"; postMessage(useKernelThreads(1));`;
  const worker = `
    const w = new Worker("data:application/javascript," + encodeURIComponent(${
    JSON.stringify(inner)
  }), { type: "module" });
    w.onmessage = (e) => { console.log(e.data); w.terminate(); };`;
  assert.equal(await evalOutput(worker), "1");
});
