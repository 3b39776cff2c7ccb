/**
 * The data sets of the reproduction's worker threads, held once per process: a worker asks the
 * main thread for an image set by its key (lib/shared_images.ts); the main thread decodes it once
 * and posts its shared memory, so every worker reads the same bytes. Both ends of that exchange
 * are here: {@link askForImages} (worker side) and {@link answerImageRequest} (main side).
 *
 * @module
 */
import type { ByteImages, ByteImagesData } from "../byte_images.ts";
import { fashionMnistImages } from "../fashion_mnist.ts";
import { MNIST_IMAGES_KEY, mnistImages } from "../mnist.ts";

/** A worker's request for the image set `key`. */
export interface ImageRequest {
  /** The kind of message. */
  kind: "images";
  /** The set's key (lib/shared_images.ts). */
  key: string;
}

/** The main thread's answer: the set (its memory shared) or why it could not be had. */
export type ImageAnswer =
  & { kind: "images"; key: string }
  & ({ data: ByteImagesData } | { error: string });

/** Whether a message from a worker is an {@link ImageRequest}. */
export function isImageRequest(message: unknown): message is ImageRequest {
  return (message as ImageRequest | null)?.kind === "images";
}

/** The image set of `key`, decoded once in this thread. */
function imagesOf(key: string): Promise<ByteImages> {
  if (key === MNIST_IMAGES_KEY) return mnistImages();
  return fashionMnistImages(key);
}

/**
 * Answers `message` on `worker` when it is an {@link ImageRequest} and returns true; else returns
 * false (the message is the worker's own business).
 *
 * @example A request answered with the shared bytes
 * ```ts
 * import { answerImageRequest, type ImageAnswer } from "@lib/experiments/shared_data.ts";
 * import assert from "node:assert/strict";
 * const answers: ImageAnswer[] = [];
 * const worker = { postMessage: (a: ImageAnswer) => answers.push(a) };
 * assert.equal(answerImageRequest(worker, { ok: true, seconds: 1 }), false);
 * assert.equal(answerImageRequest(worker, { kind: "images", key: "mnist" }), true);
 * while (answers.length === 0) await new Promise((r) => setTimeout(r, 10));
 * assert.ok("data" in answers[0] && answers[0].data.pixels.buffer instanceof SharedArrayBuffer);
 * ```
 */
export function answerImageRequest(
  worker: { postMessage(answer: ImageAnswer): void },
  message: unknown,
): boolean {
  if (!isImageRequest(message)) return false;
  const key = message.key;
  Promise.resolve(key).then(imagesOf).then(
    (images) => worker.postMessage({ kind: "images", key, data: images.data() }),
    (e) => worker.postMessage({ kind: "images", key, error: (e as Error).stack ?? String(e) }),
  );
  return true;
}

/**
 * The worker side: a fetcher for lib/shared_images.ts that posts an {@link ImageRequest} with
 * `post` and resolves when {@link ImageAnswer} comes back, passed to the returned `receive`
 * (which returns false for other messages).
 *
 * @example
 * ```ts
 * import { askForImages } from "@lib/experiments/shared_data.ts";
 * import { BYTE_SCALE, ByteImages } from "@lib/byte_images.ts";
 * import assert from "node:assert/strict";
 * const held = ByteImages.allocate(1, 2, BYTE_SCALE);
 * const { fetch, receive } = askForImages((request) => {
 *   queueMicrotask(() => receive({ kind: "images", key: request.key, data: held.data() }));
 * });
 * assert.equal((await fetch("k")).pixels, held.pixels);
 * assert.equal(receive({ reproduction: "x" }), false);
 * ```
 */
export function askForImages(post: (request: ImageRequest) => void): {
  fetch: (key: string) => Promise<ByteImagesData>;
  receive: (message: unknown) => boolean;
} {
  const waiting = new Map<string, Array<(answer: ImageAnswer) => void>>();
  const fetch = (key: string) =>
    new Promise<ByteImagesData>((resolve, reject) => {
      const settle = (answer: ImageAnswer) =>
        "data" in answer ? resolve(answer.data) : reject(
          new Error(`cannot get the image set '${key}' from the main thread: ${answer.error}`),
        );
      const list = waiting.get(key);
      if (list) list.push(settle);
      else {
        waiting.set(key, [settle]);
        post({ kind: "images", key });
      }
    });
  const receive = (message: unknown) => {
    const answer = message as ImageAnswer;
    if (answer?.kind !== "images") return false;
    const list = waiting.get(answer.key) ?? [];
    waiting.delete(answer.key);
    for (const settle of list) settle(answer);
    return true;
  };
  return { fetch, receive };
}
