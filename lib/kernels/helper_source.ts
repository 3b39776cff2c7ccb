/**
 * The source of the helper thread of the matrix products (lib/kernels/threads.ts), shipped as a
 * string and run from a data: URL, so that it needs no file access, and the layout of the Int32
 * control words it shares with the main thread.
 *
 * @module
 */

/**
 * Indices of the Int32 control words shared with the helper; the 12 arguments of gemm follow
 * ARGS.
 *
 * @example
 * ```ts
 * import { CONTROL } from "@lib/kernels/helper_source.ts";
 * import assert from "node:assert/strict";
 * assert.equal(CONTROL.ARGS + 12 <= 32, true); // all fit the 32 words the helper maps
 * ```
 */
export const CONTROL: Readonly<
  Record<"STATE" | "JOB" | "DONE" | "STATUS" | "GEN" | "ACK" | "ARGS", number>
> = {
  STATE: 0,
  JOB: 1,
  DONE: 2,
  STATUS: 3,
  GEN: 4,
  ACK: 5,
  ARGS: 6,
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

const { STATE, JOB, DONE, STATUS, GEN, ACK, ARGS } = CONTROL;
const { STARTING, READY, EXITED } = HELPER_STATE;

/**
 * The helper worker's source. It instantiates the gemm module on the shared memory, waits for
 * jobs in 2 ms slices, checks a generation word each time (the main thread stops it by bumping
 * it), and exits on its own after `idleMs` without work.
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
      const a = ${ARGS};
      gemm(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8],
        c[a + 9], c[a + 10], c[a + 11], work);
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
