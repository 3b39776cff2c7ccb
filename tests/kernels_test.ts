import assert from "node:assert/strict";
import {
  allocateKernelArray,
  axpy,
  columnSquaredNorms,
  gatherColumns,
  hadamard,
  type KernelBackend,
  kernelCounters,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  type ProductSizes,
  resetKernelCounters,
  rowSums,
  scaleColumns,
  useKernelBackend,
  wasmKernelsAvailable,
} from "@lib/kernels/mod.ts";
import { buildGemmModule, GEMM_MODULE_URL } from "../tools/build_wasm.ts";

/** Unit roundoff of Float64 arithmetic doubled: the ε = 2^-52 of the error bounds below. */
const EPS = 2 ** -52;
const SIZES = [1, 3, 7, 33, 257];

type Form = "A·B" | "Aᵀ·B" | "A·Bᵀ";
const FORMS: Form[] = ["A·B", "Aᵀ·B", "A·Bᵀ"];

/** Deterministic values in [-1, 1) (a 32-bit LCG), or small integers when `integers` is set. */
function filled(length: number, seed: number, { integers = false } = {}): Float64Array {
  const x = new Float64Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = integers ? (s >>> 29) - 4 : s / 2 ** 31 - 1;
  }
  return x;
}

/** Element (i, p) of op(A) and (p, j) of op(B) for each form, as in the kernels' docs. */
function at(form: Form, m: number, k: number, n: number, lda: number) {
  return {
    a: form === "Aᵀ·B"
      ? (i: number, p: number) => p * lda + i
      : (i: number, p: number) => i * k + p,
    b: form === "A·Bᵀ" ? (p: number, j: number) => j * k + p : (p: number, j: number) => p * n + j,
    aLength: form === "Aᵀ·B" ? (k === 0 ? 0 : (k - 1) * lda + m) : m * k,
  };
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

/**
 * Checks one product against the naive triple loop. Both sum k products (plus C₀ when
 * accumulating) in some order, each within γ_{k+1}·(|C₀| + Σ|a||b|) of the exact value, with
 * γ_j = j·u/(1 − j·u) and u = ε/2, so they differ by at most 2γ_{k+1}(…) ≤ (k + 1)·ε·1.01·(…).
 * With `exact`, operands are small integers whose products sum exactly: results must be equal.
 */
function checkProduct(
  form: Form,
  m: number,
  k: number,
  n: number,
  { accumulate = false, ldaExtra = 0, exact = false, pad = 0 } = {},
): void {
  const lda = m + ldaExtra;
  const idx = at(form, m, k, n, lda);
  const seed = m * 1_000_003 + k * 1009 + n;
  const a = filled(idx.aLength + pad, seed, { integers: exact });
  const b = filled(k * n + pad, seed + 1, { integers: exact });
  const c0 = filled(m * n + pad, seed + 2, { integers: exact });
  const out = c0.slice();
  run(form, a, b, { out, m, k, n, accumulate, ...(form === "Aᵀ·B" ? { lda } : {}) });
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = accumulate ? c0[i * n + j] : 0;
      let magnitude = Math.abs(sum);
      for (let p = 0; p < k; p++) {
        const term = a[idx.a(i, p)] * b[idx.b(p, j)];
        sum += term;
        magnitude += Math.abs(term);
      }
      const got = out[i * n + j];
      const bound = exact ? 0 : (k + 1) * EPS * 1.01 * magnitude;
      if (!(Math.abs(got - sum) <= bound)) {
        assert.fail(
          `${form} m=${m} k=${k} n=${n} accumulate=${accumulate}: C[${i}][${j}] = ${got}, ` +
            `naive ${sum}, |diff| ${Math.abs(got - sum)} > bound ${bound}`,
        );
      }
    }
  }
  for (let i = m * n; i < out.length; i++) {
    assert.equal(out[i], c0[i], `${form} wrote past m·n at ${i}`);
  }
}

const BACKENDS: KernelBackend[] = wasmKernelsAvailable()
  ? ["wasm", "typescript", "auto"]
  : ["typescript", "auto"];

/** Runs `body` with the products on `backend`, then restores the previous backend. */
function withBackend(backend: KernelBackend, body: () => void): void {
  const previous = useKernelBackend(backend);
  try {
    body();
  } finally {
    useKernelBackend(previous);
  }
}

Deno.test("WebAssembly SIMD kernels are available on this machine (the fast path is tested)", () => {
  assert.equal(wasmKernelsAvailable(), true);
});

for (const backend of BACKENDS) {
  Deno.test(`${backend}: every form matches the naive product within (k+1)·ε·Σ|a||b| on odd sizes 1…257`, () => {
    withBackend(backend, () => {
      for (const form of FORMS) {
        for (const m of SIZES) {
          for (const k of SIZES) for (const n of SIZES) checkProduct(form, m, k, n);
        }
      }
    });
  });

  Deno.test(`${backend}: every edge of the register tile and k-loop unrolling is right (m ≤ 13, n ≤ 9, k ≤ 9)`, () => {
    withBackend(backend, () => {
      for (const form of FORMS) {
        for (let m = 1; m <= 13; m++) {
          for (let n = 1; n <= 9; n++) {
            for (const k of [1, 2, 3, 4, 5, 9]) {
              checkProduct(form, m, k, n, { exact: true, accumulate: (m + n + k) % 2 === 0 });
            }
          }
        }
      }
    });
  });

  Deno.test(`${backend}: accumulate adds the product to out within the same bound`, () => {
    withBackend(backend, () => {
      for (const form of FORMS) {
        for (const [m, k, n] of [[1, 1, 1], [3, 7, 33], [33, 257, 7], [257, 3, 257], [7, 33, 1]]) {
          checkProduct(form, m, k, n, { accumulate: true });
        }
      }
    });
  });

  Deno.test(`${backend}: small-integer operands give exactly the naive result`, () => {
    withBackend(backend, () => {
      for (const form of FORMS) {
        for (const [m, k, n] of [[1, 1, 1], [7, 3, 33], [33, 257, 7], [257, 33, 3], [4, 8, 4]]) {
          checkProduct(form, m, k, n, { exact: true });
          checkProduct(form, m, k, n, { exact: true, accumulate: true });
        }
      }
    });
  });

  Deno.test(`${backend}: Aᵀ·B reads only the first m columns of an A with lda > m`, () => {
    withBackend(backend, () => {
      for (const [m, k, n] of [[1, 3, 7], [3, 33, 1], [7, 257, 3], [33, 7, 33], [257, 1, 3]]) {
        for (const ldaExtra of [1, 5]) {
          checkProduct("Aᵀ·B", m, k, n, { ldaExtra });
          checkProduct("Aᵀ·B", m, k, n, { ldaExtra, accumulate: true });
          checkProduct("Aᵀ·B", m, k, n, { ldaExtra, exact: true });
        }
      }
    });
  });

  Deno.test(`${backend}: k = 0 gives zeros (or leaves out unchanged when accumulating), empty outputs write nothing`, () => {
    withBackend(backend, () => {
      for (const form of FORMS) {
        for (const [m, k, n] of [[3, 0, 7], [0, 3, 7], [3, 7, 0], [0, 0, 0], [1, 0, 1]]) {
          checkProduct(form, m, k, n);
          checkProduct(form, m, k, n, { accumulate: true });
          checkProduct(form, m, k, n, { pad: 3 });
        }
      }
    });
  });

  Deno.test(`${backend}: arrays longer than needed are read only in their prefix, out beyond m·n is untouched`, () => {
    withBackend(backend, () => {
      for (const form of FORMS) {
        checkProduct(form, 7, 33, 3, { pad: 11 });
        checkProduct(form, 33, 7, 257, { pad: 1, accumulate: true });
      }
    });
  });
}

Deno.test("wasm: products larger than one cache block (k > 256, m > 128, n > 1024) are right", () => {
  if (!wasmKernelsAvailable()) return;
  withBackend("wasm", () => {
    for (const form of FORMS) {
      checkProduct(form, 131, 513, 5);
      checkProduct(form, 5, 3, 1029, { accumulate: true });
      checkProduct(form, 3, 260, 1031, { exact: true });
    }
  });
});

Deno.test("wasm and TypeScript agree within the error bound, and each is bit-reproducible", () => {
  const m = 37, k = 301, n = 45;
  const a = filled(m * k, 1), b = filled(k * n, 2);
  for (const form of FORMS) {
    const results = BACKENDS.map((backend) =>
      withResult(backend, () => {
        const first = new Float64Array(m * n), second = new Float64Array(m * n);
        run(form, a, b, { out: first, m, k, n });
        run(form, a, b, { out: second, m, k, n });
        assert.deepEqual(second, first, `${backend} ${form} is not reproducible`);
        return first;
      })
    );
    for (let i = 0; i < m * n; i++) {
      assert.ok(Math.abs(results[0][i] - results[1][i]) <= (k + 1) * EPS * 1.01 * k); // Σ|a||b| ≤ k
    }
  }
});

function withResult(backend: KernelBackend, body: () => Float64Array): Float64Array {
  let result: Float64Array = new Float64Array(0);
  withBackend(backend, () => {
    result = body();
  });
  return result;
}

Deno.test("the three forms give bit-identical results on equivalent (transposed) operands", () => {
  for (const backend of BACKENDS) {
    withBackend(backend, () => {
      for (const [m, k, n] of [[1, 1, 1], [3, 7, 33], [33, 257, 7], [5, 300, 1030]]) {
        const a = filled(m * k, 5), b = filled(k * n, 6);
        const at = new Float64Array(k * m), bt = new Float64Array(n * k);
        for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) at[p * m + i] = a[i * k + p];
        for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
        const nn = new Float64Array(m * n), tn = new Float64Array(m * n);
        const nt = new Float64Array(m * n);
        matmul(a, b, { out: nn, m, k, n });
        matmulTransposeA(at, b, { out: tn, m, k, n });
        matmulTransposeB(a, bt, { out: nt, m, k, n });
        assert.deepEqual(tn, nn, `${backend} Aᵀ·B m=${m} k=${k} n=${n}`);
        assert.deepEqual(nt, nn, `${backend} A·Bᵀ m=${m} k=${k} n=${n}`);
      }
    });
  }
});

Deno.test("wasm results are bit-identical under V8's baseline (Liftoff) and optimizing (TurboFan) compilers", async () => {
  if (!wasmKernelsAvailable()) return;
  const url = new URL("../lib/kernels/mod.ts", import.meta.url).href;
  const code = `
    import { matmul, matmulTransposeA, matmulTransposeB, useKernelBackend } from "${url}";
    useKernelBackend("wasm");
    const m = 37, k = 301, n = 45;
    const a = new Float64Array(m * k).map((_, i) => Math.sin(i));
    const b = new Float64Array(k * n).map((_, i) => Math.cos(i));
    const hex = [];
    for (const f of [matmul, matmulTransposeA, matmulTransposeB]) {
      const out = new Float64Array(m * n);
      f(a, b, { out, m, k, n });
      hex.push(Array.from(new Uint8Array(out.buffer), (x) => x.toString(16).padStart(2, "0")).join(""));
    }
    console.log(hex.join(" "));
  `;
  const outputs = [];
  for (const flag of ["--liftoff-only", "--no-liftoff"]) {
    const { code: status, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", `--v8-flags=${flag}`, code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(status, 0, new TextDecoder().decode(stderr));
    outputs.push(new TextDecoder().decode(stdout).trim());
  }
  assert.ok(outputs[0].length > 1000);
  assert.equal(outputs[1], outputs[0]);
});

Deno.test("products propagate NaN and infinities as IEEE arithmetic does (0·∞ is NaN)", () => {
  for (const backend of BACKENDS) {
    withBackend(backend, () => {
      for (const form of FORMS) {
        const out = new Float64Array(1);
        run(form, Float64Array.of(0, 1), Float64Array.of(Infinity, 2), { out, m: 1, k: 2, n: 1 });
        assert.ok(Number.isNaN(out[0]), `${backend} ${form} gave ${out[0]}`);
        run(form, Float64Array.of(1, 1), Float64Array.of(Infinity, 2), { out, m: 1, k: 2, n: 1 });
        assert.equal(out[0], Infinity);
      }
    });
  }
});

Deno.test("products on kernel arrays (in the wasm memory) equal products on plain arrays, bit for bit", () => {
  const m = 37, k = 45, n = 29;
  const plainA = filled(m * k, 7), plainB = filled(k * n, 8), plainC = filled(m * n, 9);
  for (const backend of BACKENDS) {
    withBackend(backend, () => {
      for (const form of FORMS) {
        for (const accumulate of [false, true]) {
          const expected = plainC.slice();
          run(form, plainA, plainB, { out: expected, m, k, n, accumulate, lda: m });
          // every mix of resident and plain operands
          for (let mask = 1; mask < 8; mask++) {
            const a = mask & 1 ? allocateKernelArray(m * k) : plainA.slice();
            const b = mask & 2 ? allocateKernelArray(k * n) : plainB.slice();
            const out = mask & 4 ? allocateKernelArray(m * n) : new Float64Array(m * n);
            a.set(plainA);
            b.set(plainB);
            out.set(plainC);
            run(form, a, b, { out, m, k, n, accumulate, lda: m });
            assert.deepEqual(out, expected, `${backend} ${form} mask ${mask}`);
            assert.deepEqual(a, plainA);
            assert.deepEqual(b, plainB);
          }
        }
      }
    });
  }
});

Deno.test("kernel arrays are zero-filled, disjoint, and keep their values when the wasm memory grows", () => {
  const x = allocateKernelArray(1000), y = allocateKernelArray(3);
  assert.equal(x.length, 1000);
  if (wasmKernelsAvailable()) {
    // the kernels' shared, growable WebAssembly memory
    assert.ok(x.buffer instanceof SharedArrayBuffer && x.buffer.growable);
  }
  assert.ok(x.every((v) => v === 0) && y.every((v) => v === 0));
  x.fill(1);
  y.fill(2);
  assert.ok(x.every((v) => v === 1));
  // a product large enough to grow the memory, then a new array over the old staging area
  const big = 1500;
  const a = filled(big * big, 1), out = new Float64Array(big * 2);
  matmul(a, a.subarray(0, big * 2), { out, m: big, k: big, n: 2 });
  const z = allocateKernelArray(big * big);
  assert.ok(z.every((v) => v === 0));
  assert.equal(x.length, 1000);
  assert.ok(x.every((v) => v === 1) && y.every((v) => v === 2));
  assert.equal(allocateKernelArray(0).length, 0);
  assert.throws(() => allocateKernelArray(-1), /cannot allocate a kernel array of length -1/);
  assert.throws(() => allocateKernelArray(1.5), RangeError);
});

Deno.test("each product form throws a RangeError naming the product when an array is too short", () => {
  const ok = new Float64Array(12);
  for (const form of FORMS) {
    const sizes = { m: 3, k: 2, n: 2 };
    assert.throws(
      () => run(form, new Float64Array(5), ok, { ...sizes, out: ok }),
      (e: unknown) => e instanceof RangeError && e.message.startsWith(`cannot compute ${form}`),
    );
    assert.throws(
      () => run(form, ok, new Float64Array(3), { ...sizes, out: ok }),
      RangeError,
    );
    assert.throws(
      () => run(form, ok, ok, { ...sizes, out: new Float64Array(5) }),
      RangeError,
    );
  }
  assert.throws(
    () => matmulTransposeA(ok, ok, { out: ok, m: 3, k: 2, n: 2, lda: 2 }),
    /cannot compute Aᵀ·B: lda 2 is below m 3/,
  );
  assert.throws(
    () => matmulTransposeA(new Float64Array(6), ok, { out: ok, m: 2, k: 2, n: 2, lda: 5 }),
    RangeError,
  );
});

Deno.test("useKernelBackend returns the previous choice and rejects unknown names", () => {
  const previous = useKernelBackend("typescript");
  assert.equal(useKernelBackend(previous), "typescript");
  assert.throws(() => useKernelBackend("gpu" as KernelBackend), /cannot use kernel backend "gpu"/);
});

Deno.test("kernelCounters count 2·m·n·k per product on every path, and elementwise operations", () => {
  for (const backend of BACKENDS) {
    withBackend(backend, () => {
      resetKernelCounters();
      const x = filled(64 * 64, 3), out = new Float64Array(64 * 64);
      matmul(x, x, { out, m: 64, k: 64, n: 64 });
      matmulTransposeA(x, x, { out, m: 2, k: 3, n: 5, lda: 4 });
      matmulTransposeB(x, x, { out, m: 1, k: 0, n: 9 });
      assert.equal(kernelCounters.productFlops, 2 * 64 ** 3 + 2 * 2 * 3 * 5);
      assert.equal(kernelCounters.elementwiseOps, 0);
    });
  }
  resetKernelCounters();
  const v = filled(12, 4), w = new Float64Array(12);
  hadamard(v, v, { out: w, n: 12 }); // 12 multiplies
  axpy(2, v, { out: w, n: 12 }); // 24
  columnSquaredNorms(v, { out: w, rows: 3, cols: 4 }); // 24
  scaleColumns(w, { scale: v, rows: 3, cols: 4 }); // 12
  rowSums(v, { out: w, rows: 3, cols: 4 }); // 12
  assert.deepEqual(kernelCounters, { productFlops: 0, elementwiseOps: 84, splitProducts: 0 });
});

Deno.test("the committed lib/wasm/gemm_wasm.ts is the assembly of lib/wasm/gemm.wat (run deno task build:wasm)", async () => {
  const expected = await buildGemmModule();
  const committed = await Deno.readTextFile(GEMM_MODULE_URL);
  assert.equal(committed, expected);
});

Deno.test("gatherColumns copies what a naive loop copies, from row-major and sample-major sources, at every width 0…19", () => {
  const rows = 5, cols = 11;
  const rowMajor = Float64Array.from({ length: rows * cols }, (_, k) => Math.sin(k + 1));
  const sampleMajor = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) sampleMajor[c * rows + i] = rowMajor[i * cols + c];
  }
  for (let b = 0; b < 20; b++) {
    const positions = Int32Array.from({ length: b }, (_, j) => (7 * j + 3) % cols);
    const naive = new Float64Array(rows * b);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < b; j++) naive[i * b + j] = rowMajor[i * cols + positions[j]];
    }
    const a = new Float64Array(rows * b), c = new Float64Array(rows * b);
    gatherColumns(rowMajor, { rows, rowStride: cols, colStride: 1, positions, out: a });
    gatherColumns(sampleMajor, { rows, rowStride: 1, colStride: rows, positions, out: c });
    assert.deepEqual(a, naive, `row-major, b = ${b}`);
    assert.deepEqual(c, naive, `sample-major, b = ${b}`);
  }
});
