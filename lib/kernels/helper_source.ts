/**
 * The source of the helper thread of the matrix products (lib/kernels/threads.ts), shipped as a
 * string and run from a data: URL, so that it needs no file access, and the layout of the Int32
 * control words it shares with the main thread.
 *
 * @module
 */

/**
 * Indices of the Int32 control words shared with the helper: the 12 arguments of gemm for the
 * whole product follow ARGS; SPLIT holds how it is cut (axis 0 for rows, 1 for columns, the chunk
 * size, the number of chunks) and NEXT the next chunk to claim, which both threads take in turn
 * (Atomics.add) until none is left.
 *
 * @example
 * ```ts
 * import { CONTROL } from "@lib/kernels/helper_source.ts";
 * import assert from "node:assert/strict";
 * assert.equal(CONTROL.ARGS + 12 <= CONTROL.SPLIT && CONTROL.NEXT < 32, true); // all fit 32 words
 * ```
 */
export const CONTROL: Readonly<
  Record<"STATE" | "JOB" | "DONE" | "STATUS" | "GEN" | "ACK" | "ARGS" | "SPLIT" | "NEXT", number>
> = {
  STATE: 0,
  JOB: 1,
  DONE: 2,
  STATUS: 3,
  GEN: 4,
  ACK: 5,
  ARGS: 6,
  SPLIT: 18,
  NEXT: 21,
};

/**
 * Helper states: starting, ready (idle), exited on its own, busy (claimed by the main thread).
 *
 * @example
 * ```ts
 * import { HELPER_STATE } from "@lib/kernels/helper_source.ts";
 * import assert from "node:assert/strict";
 * assert.equal(new Set(Object.values(HELPER_STATE)).size, 4);
 * ```
 */
export const HELPER_STATE: Readonly<Record<"STARTING" | "READY" | "EXITED" | "BUSY", number>> = {
  STARTING: 0,
  READY: 1,
  EXITED: 2,
  BUSY: 3,
};

const { STATE, JOB, DONE, STATUS, GEN, ACK, ARGS, SPLIT, NEXT } = CONTROL;
const { STARTING, READY, EXITED } = HELPER_STATE;

/**
 * The helper worker's source. It instantiates the gemm module on the shared memory, waits for
 * jobs in 2 ms slices, checks a generation word each time (the main thread stops it by bumping
 * it), and exits on its own after `idleMs` without work. A job is a product cut into chunks of
 * rows or columns; the helper claims chunks until none is left, then reports done (a helper that
 * wakes late finds none and reports at once).
 *
 * @example
 * ```ts
 * import { HELPER_SOURCE } from "@lib/kernels/helper_source.ts";
 * import assert from "node:assert/strict";
 * assert.match(HELPER_SOURCE, /^\nself\.onmessage = /);
 * assert.doesNotMatch(HELPER_SOURCE, /\$\{/); // every control index is filled in
 * ```
 */
export const HELPER_SOURCE: string = `
self.onmessage = (event) => {
  const { module, memory, control, work, gen, idleMs } = event.data;
  const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(memory.buffer, control, 32);
  const exit = () => {
    Atomics.store(c, ${ACK}, gen);
    Atomics.notify(c, ${ACK});
    self.close();
  };
  let seen = Atomics.load(c, ${JOB}), idleSince = performance.now();
  Atomics.compareExchange(c, ${STATE}, ${STARTING}, ${READY});
  for (;;) {
    Atomics.wait(c, ${JOB}, seen, 2);
    if (Atomics.load(c, ${GEN}) !== gen) return exit(); // stopped by the main thread
    const job = Atomics.load(c, ${JOB});
    if (job === seen) {
      const idle = performance.now() - idleSince > idleMs;
      if (idle && Atomics.compareExchange(c, ${STATE}, ${READY}, ${EXITED}) === ${READY}) {
        return exit();
      }
      continue;
    }
    seen = job;
    let status = 1;
    try {
      const a = ${ARGS}, axis = c[${SPLIT}], size = c[${SPLIT} + 1], count = c[${SPLIT} + 2];
      const m = c[a], n = c[a + 1], k = c[a + 2], ars = c[a + 4], acs = c[a + 5];
      const brs = c[a + 7], bcs = c[a + 8], ldc = c[a + 10], beta = c[a + 11];
      for (let i = Atomics.add(c, ${NEXT}, 1); i < count; i = Atomics.add(c, ${NEXT}, 1)) {
        const at = i * size;
        if (axis === 0) {
          gemm(Math.min(size, m - at), n, k, c[a + 3] + 8 * at * ars, ars, acs, c[a + 6], brs,
            bcs, c[a + 9] + 8 * at * ldc, ldc, beta, work);
        } else {
          gemm(m, Math.min(size, n - at), k, c[a + 3], ars, acs, c[a + 6] + 8 * at * bcs, brs,
            bcs, c[a + 9] + 8 * at, ldc, beta, work);
        }
      }
    } catch {
      status = -1;
    }
    Atomics.store(c, ${STATUS}, status);
    Atomics.store(c, ${DONE}, job);
    Atomics.notify(c, ${DONE});
    idleSince = performance.now();
  }
};
`;
