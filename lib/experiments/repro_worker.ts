/**
 * Worker-thread entry of the reproduction pipeline: receives a {@link WorkerRequest} (the
 * reproduction's name, the unit with its key and file, seed and profile), computes the unit,
 * writes its record itself (encoded once, atomically) and replies with the seconds it took. The
 * reproductions come from the registry, `mod.ts`.
 *
 * @module
 */
import { reproductionNamed } from "./mod.ts";
import { produceUnit, type WorkerReply, type WorkerRequest } from "./pipeline.ts";

interface Scope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: WorkerReply): void;
}
const scope = globalThis as unknown as Scope;

scope.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const { reproduction, job, options } = e.data;
  try {
    const seconds = await produceUnit(reproductionNamed(reproduction), job, options);
    scope.postMessage({ ok: true, seconds });
  } catch (err) {
    scope.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
  }
};
