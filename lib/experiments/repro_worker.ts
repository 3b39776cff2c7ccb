/**
 * Worker-thread entry of the reproduction pipeline: receives {reproduction, unit, options},
 * computes the unit, and replies with its output (exactly encoded) and the seconds it took.
 *
 * @module
 */
import { computeUnit, encodeOutput } from "./pipeline.ts";
import { reproductionNamed } from "./mod.ts";
import type { ReproductionOptions, ReproductionUnit } from "./reproduction.ts";

interface Scope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = globalThis as unknown as Scope;

scope.onmessage = async (e: MessageEvent) => {
  const { reproduction, unit, options } = e.data as {
    reproduction: string;
    unit: ReproductionUnit;
    options: ReproductionOptions;
  };
  const start = performance.now();
  try {
    const r = reproductionNamed(reproduction);
    const output = await computeUnit(r, unit, options);
    scope.postMessage({
      ok: true,
      output: encodeOutput(output),
      seconds: (performance.now() - start) / 1000,
    });
  } catch (err) {
    scope.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
  }
};
