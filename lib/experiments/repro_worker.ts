/**
 * Worker-thread entry of the reproduction pipeline: receives a {@link WorkerRequest} (the
 * reproduction's name, the unit with its key and file, seed and profile), computes the unit,
 * writes its record itself (encoded once, atomically) and replies with the seconds it took. The
 * reproductions come from the registry, `mod.ts`; image data sets from the main thread, shared
 * (`shared_data.ts`).
 *
 * @module
 */
import { fetchImagesWith } from "../shared_images.ts";
import { reproductionNamed } from "./mod.ts";
import { produceUnit, type WorkerReply, type WorkerRequest } from "./pipeline.ts";
import { askForImages, type ImageRequest } from "./shared_data.ts";

interface Scope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: WorkerReply | ImageRequest): void;
}
const scope = globalThis as unknown as Scope;

// image sets come from the main thread, decoded once per process (shared_data.ts)
const images = askForImages((request) => scope.postMessage(request));
fetchImagesWith(images.fetch);

scope.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  if (images.receive(e.data)) return;
  const { reproduction, job, options } = e.data;
  try {
    const seconds = await produceUnit(reproductionNamed(reproduction), job, options);
    scope.postMessage({ ok: true, seconds });
  } catch (err) {
    scope.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
  }
};
