import assert from "node:assert/strict";
import { join } from "node:path";
import { reproductions } from "@lib/experiments/mod.ts";
import { planUnits } from "@lib/experiments/pipeline.ts";
import type { Reproduction } from "@lib/experiments/reproduction.ts";
import { selftest } from "@lib/experiments/selftest.ts";
import { codeFingerprint, moduleGraph, runModuleOf } from "@lib/experiments/unit_key.ts";

const lib = new URL("../lib/", import.meta.url);

/** The lib files reachable from `entry` through code (not type-only) imports, says `deno info`. */
async function denoInfoGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: { code?: { specifier?: string } }[] }[];
  };
  const byUrl = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>(), todo = [entry];
  while (todo.length > 0) {
    const url = todo.pop()!;
    if (seen.has(url) || !url.startsWith(lib.href)) continue;
    seen.add(url);
    for (const dep of byUrl.get(url)?.dependencies ?? []) {
      if (dep.code?.specifier) todo.push(dep.code.specifier);
    }
  }
  return [...seen].map((u) => u.slice(lib.href.length)).sort();
}

Deno.test("the code graph read from the source equals deno info's code imports within lib/, for every registered reproduction", async () => {
  for (const r of [...reproductions, selftest]) {
    const entry = runModuleOf(r);
    assert.deepEqual(moduleGraph(entry).files, await denoInfoGraph(entry), r.name);
  }
});

/** A small lib/ in a temporary folder: a split reproduction `demo` and a helper it runs. */
async function demoLib(): Promise<
  { root: string; lib: URL; write(path: string, text: string): Promise<void> }
> {
  const root = await Deno.makeTempDir();
  const write = async (path: string, text: string) => {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  };
  await write("deno.json", JSON.stringify({ imports: { "@lib/": "./lib/" } }));
  await write("lib/core.ts", "export const step = (x: number) => x + 1;\n");
  await write("lib/chart_kit.ts", "export const axis = 'x';\n");
  await write(
    "lib/experiments/demo/run.ts",
    'import { step } from "@lib/core.ts";\nimport type { Note } from "./notes.ts";\n' +
      "export const runDemo = (x: number): number => step(x);\nexport type { Note };\n",
  );
  await write(
    "lib/experiments/demo/charts.ts",
    'import { axis } from "../../chart_kit.ts";\nexport const chart = () => axis;\n',
  );
  await write(
    "lib/experiments/demo/notes.ts",
    "export type Note = string;\nexport const note = 'a';\n",
  );
  await write(
    "lib/experiments/demo/mod.ts",
    'export { runDemo } from "./run.ts";\nexport { chart } from "./charts.ts";\n' +
      'export { note } from "./notes.ts";\n',
  );
  return { root, lib: new URL(`file://${root}/lib/`), write };
}

Deno.test("a unit's code fingerprint changes when a file its run module imports changes, not when charts or notes change", async () => {
  const { root, lib, write } = await demoLib();
  try {
    const run = new URL("experiments/demo/run.ts", lib);
    const fingerprint = () => codeFingerprint(run, { lib });
    assert.deepEqual(moduleGraph(run, { lib }).files, ["core.ts", "experiments/demo/run.ts"]);
    const before = await fingerprint();
    await write(
      "lib/experiments/demo/notes.ts",
      "export type Note = string;\nexport const note = 'b';\n",
    );
    await write("lib/experiments/demo/charts.ts", "export const chart = () => 'y';\n");
    await write("lib/chart_kit.ts", "export const axis = 'y';\n");
    assert.equal(await fingerprint(), before, "charts and notes are not in the key");
    await write("lib/core.ts", "export const step = (x: number) => x + 2;\n");
    const afterCore = await fingerprint();
    assert.notEqual(afterCore, before, "a file the run module imports is in the key");
    await write(
      "lib/experiments/demo/run.ts",
      (await Deno.readTextFile(join(root, "lib/experiments/demo/run.ts"))) + "// reworded\n",
    );
    assert.notEqual(await fingerprint(), afterCore, "the run module itself is in the key");
    const whole = new URL("experiments/demo/mod.ts", lib);
    const wholeBefore = await codeFingerprint(whole, { lib });
    await write(
      "lib/experiments/demo/notes.ts",
      "export type Note = string;\nexport const note = 'c';\n",
    );
    assert.notEqual(
      await codeFingerprint(whole, { lib }),
      wholeBefore,
      "without a run module, the reproduction's own graph (notes included) is the key",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a reproduction's unit keys follow its runModule: same module, same keys; another module, other keys", async () => {
  const out = await Deno.makeTempDir();
  try {
    const options = { seed: 1, profile: "quick" as const, out };
    const keys = async (runModule?: string) => {
      const r: Reproduction = { ...selftest, runModule };
      return (await planUnits([r], options)).map((p) => p.key);
    };
    const own = await keys();
    assert.deepEqual(await keys(runModuleOf(selftest)), own);
    assert.notDeepEqual(await keys(new URL("random.ts", lib).href), own);
    assert.notDeepEqual(
      (await planUnits([selftest], { ...options, seed: 2 })).map((p) => p.key),
      own,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a unit's own run module keys that unit alone: the others keep the reproduction's keys", async () => {
  const out = await Deno.makeTempDir();
  try {
    const options = { seed: 1, profile: "quick" as const, out };
    const own = await planUnits([selftest], options);
    assert.ok(own.length >= 2, "the self-test needs two units for this check");
    const first = own[0].unit.id;
    const r: Reproduction = {
      ...selftest,
      unitRunModule: (unit) => unit.id === first ? new URL("random.ts", lib).href : undefined,
    };
    const mixed = await planUnits([r], options);
    assert.notEqual(mixed[0].key, own[0].key);
    assert.notEqual(mixed[0].code, own[0].code);
    assert.deepEqual(mixed.slice(1).map((p) => p.key), own.slice(1).map((p) => p.key));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
