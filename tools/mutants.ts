/**
 * `deno task mutants`: mutation testing of the formulas the tests are meant to guard. Each named
 * mutation replaces one exact piece of code by a plausible wrong one in a scratch copy of the
 * repository, runs the tests that should catch it, and reports `caught` (the tests failed) or
 * `survived` (they passed: a test is missing). The unmutated copy is run first, so a failure is
 * the mutation's doing. A mutation whose code is no longer found, or found twice, is reported as
 * `stale`: the code moved, and the list below must follow it.
 *
 * ```
 * deno task mutants [--only NAME_SUBSTRING] [--list]
 * ```
 *
 * Exit code 0 when every mutation is caught, 1 when one survived or is stale, 2 for a usage error.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";

/** One named mutation: in `file`, the code `find` (exactly once) becomes `replace`. */
export interface Mutation {
  /** What the mutation breaks, read as the wrong claim. */
  name: string;
  /** File, relative to the repository root. */
  file: string;
  /** The exact code replaced; it must occur exactly once in `file`. */
  find: string;
  /** The wrong code. */
  replace: string;
  /** The test files (or folders) that must catch it. */
  tests: string[];
}

/** The mutations: the named ones, then one per core formula. */
export const mutations: readonly Mutation[] = [
  {
    name: "Random.normal replaced by √3(2U − 1): right mean and variance, wrong shape",
    file: "lib/random.ts",
    find: "  normal(): number {\n",
    replace:
      "  normal(): number {\n    if (this.float() >= 0) return Math.sqrt(3) * (2 * this.float() - 1);\n",
    tests: ["tests/random_test.ts"],
  },
  {
    name: "markdownTable does not escape pipes in cells",
    file: "lib/table.ts",
    find: 'return String(v).replaceAll("|", "\\\\|");',
    replace: "return String(v);",
    tests: ["tests/table_test.ts"],
  },
  {
    name: "squared-error gradient scaled by 1 + 3e-4",
    file: "lib/losses.ts",
    find: "for (let k = 0; k < x.length; k++) g[k] = x[k] - y[k];",
    replace: "for (let k = 0; k < x.length; k++) g[k] = (x[k] - y[k]) * (1 + 3e-4);",
    tests: ["tests/loss_gradients_test.ts", "tests/losses_test.ts", "tests/mlp_test.ts"],
  },
  {
    name: "softmax cross-entropy gradient scaled by 1 + 3e-4",
    file: "lib/losses.ts",
    find: "g[i * cols + j] = g[i * cols + j] / sum - y[i * cols + j];",
    replace: "g[i * cols + j] = (g[i * cols + j] / sum - y[i * cols + j]) * (1 + 3e-4);",
    tests: ["tests/loss_gradients_test.ts", "tests/losses_test.ts", "tests/mlp_test.ts"],
  },
  {
    name: "the importance experiment's variance-check z against 10× the right value",
    file: "lib/experiments/importance/run_uniform.ts",
    find: "z: (mc.mean - conditional) / se,",
    replace: "z: (mc.mean - 10 * conditional) / se,",
    tests: ["tests/importance_experiment_test.ts"],
  },
  {
    name: "the importance experiment's correlation table correlates each score with itself",
    file: "lib/experiments/importance/run.ts",
    find: "const values = scoreValues(v, score), optimal = v.gradientNorms;",
    replace: "const values = scoreValues(v, score), optimal = values;",
    tests: ["tests/importance_experiment_test.ts"],
  },
  {
    name: "the default importance score is the loss, not the upper bound",
    file: "lib/sampling/importance_sampler.ts",
    find: 'resolveScore(options.score ?? "upperBound")',
    replace: 'resolveScore(options.score ?? "loss")',
    tests: ["tests/importance_sampler_test.ts"],
  },
  {
    name: "the presampler's default score is the loss, not the upper bound",
    file: "lib/sampling/presampler.ts",
    find: 'resolveScore(options.score ?? "upperBound")',
    replace: 'resolveScore(options.score ?? "loss")',
    tests: ["tests/presampler_test.ts"],
  },
  {
    name: "S's variance term divided by b² instead of b",
    file: "lib/convergence.ts",
    find: "const varianceTerm = eta * eta * traceV / b;",
    replace: "const varianceTerm = eta * eta * traceV / (b * b);",
    tests: ["tests/convergence_test.ts"],
  },
  {
    name: "S's progress term without its factor 2",
    file: "lib/convergence.ts",
    find: "progress *= 2 * eta;",
    replace: "progress *= eta;",
    tests: ["tests/convergence_test.ts"],
  },
  {
    name: "the δ recursion skips σ′ of the hidden layers",
    file: "lib/mlp.ts",
    find: "      if (l > 1) {\n        this.activations[l - 2].backward(",
    replace: "      if (l > 1 && l < 0) {\n        this.activations[l - 2].backward(",
    tests: ["tests/mlp_test.ts"],
  },
  {
    name: "tanh′ computed as 1 − x instead of 1 − x²",
    file: "lib/elementwise_kernel.ts",
    find: "out[i] = g[i] * (1 - x[i] * x[i]);",
    replace: "out[i] = g[i] * (1 - x[i]);",
    tests: ["tests/activations_test.ts", "tests/mlp_test.ts"],
  },
  {
    name: "sigmoid′ computed as x instead of x(1 − x)",
    file: "lib/elementwise_kernel.ts",
    find: "out[i] = g[i] * x[i] * (1 - x[i]);",
    replace: "out[i] = g[i] * x[i];",
    tests: ["tests/activations_test.ts", "tests/mlp_test.ts"],
  },
  {
    name: "relu′ forgets the upstream gradient",
    file: "lib/elementwise_kernel.ts",
    find: "out[i] = z[i] > 0 ? g[i] : 0;",
    replace: "out[i] = z[i] > 0 ? 1 : 0;",
    tests: ["tests/activations_test.ts", "tests/elementwise_kernel_test.ts", "tests/mlp_test.ts"],
  },
  {
    name: "per-sample gradient norms add ‖δ‖² and ‖x‖² instead of multiplying them",
    file: "lib/mlp.ts",
    find: "total[j] += dn[j] * xn[j];",
    replace: "total[j] += dn[j] + xn[j];",
    tests: ["tests/mlp_test.ts", "tests/scores_test.ts"],
  },
  {
    name:
      "the TypeScript product walks B along its column stride (a transposed operand read wrongly)",
    file: "lib/kernels/products.ts",
    find: "    ib += brs;\n",
    replace: "    ib += bcs;\n",
    tests: ["tests/kernels_test.ts"],
  },
  {
    name: "importance weights 1/p instead of 1/(N p)",
    file: "lib/sampling/importance_sampler.ts",
    find: "weights[j] = 1 / (n * p[i]);",
    replace: "weights[j] = 1 / p[i];",
    tests: ["tests/importance_sampler_test.ts", "tests/importance_unbiased_test.ts"],
  },
  {
    name: "defensive mixing without the (1 − ε) factor",
    file: "lib/sampling/importance_sampler.ts",
    find: "const v = (1 - epsilon) * (scores[i] / max / total) + floor;",
    replace: "const v = (scores[i] / max / total) + floor;",
    tests: ["tests/importance_sampler_test.ts", "tests/importance_unbiased_test.ts"],
  },
  {
    name: "the variance ratio τ_new without the factor B",
    file: "lib/sampling/tau_estimate.ts",
    find: "return (scores.length * ss) / (s * s);",
    replace: "return ss / (s * s);",
    tests: ["tests/tau_estimate_test.ts", "tests/presampler_test.ts"],
  },
  {
    name: "the τ moving average with the weights swapped",
    file: "lib/sampling/tau_estimate.ts",
    find: "this.#tau = this.momentum * this.#tau + (1 - this.momentum) * fresh;",
    replace: "this.#tau = (1 - this.momentum) * this.#tau + this.momentum * fresh;",
    tests: ["tests/tau_estimate_test.ts", "tests/presampler_test.ts"],
  },
  {
    name: "the weighted SGD step divides by b twice",
    file: "lib/sgd.ts",
    find: "    ws.scale[j] = w / b;",
    replace: "    ws.scale[j] = w / b / b;",
    tests: ["tests/sgd_test.ts", "tests/importance_unbiased_test.ts"],
  },
  {
    name: "sgdUpdate steps up the gradient",
    file: "lib/sgd.ts",
    find: "axpy(-learningRate, gradients[l].data, { out: thetas[l].data, n: thetas[l].size });",
    replace: "axpy(learningRate, gradients[l].data, { out: thetas[l].data, n: thetas[l].size });",
    tests: ["tests/sgd_test.ts"],
  },
];

/** What happened to one mutation. */
export type Verdict = "caught" | "survived" | "stale";

/**
 * Applies `mutation` to `text`, or returns null when its code is not found exactly once.
 *
 * @example
 * ```ts
 * import { applyMutation } from "./mutants.ts";
 * import assert from "node:assert/strict";
 * const m = { name: "m", file: "f", find: "a + b", replace: "a - b", tests: [] };
 * assert.equal(applyMutation("x = a + b;", m), "x = a - b;");
 * assert.equal(applyMutation("x = a + b + a + b;", m), null);
 * assert.equal(applyMutation("x = 1;", m), null);
 * ```
 */
export function applyMutation(text: string, mutation: Mutation): string | null {
  const at = text.indexOf(mutation.find);
  if (at < 0 || text.indexOf(mutation.find, at + 1) >= 0) return null;
  return text.slice(0, at) + mutation.replace + text.slice(at + mutation.find.length);
}

const COPIED = ["lib", "tests", "bench", "tools", "deno.json", "deno.lock"];

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await copyTree(join(from, entry.name), join(to, entry.name));
  }
}

async function runTests(dir: string, tests: string[]): Promise<{ ok: boolean; log: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--no-check",
      "--fail-fast",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      ...tests,
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const decoder = new TextDecoder();
  return { ok: code === 0, log: decoder.decode(stdout) + decoder.decode(stderr) };
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: { only: { type: "string" }, list: { type: "boolean", default: false } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(
      `mutants: ${(e as Error).message}\nusage: deno task mutants [--only TEXT] [--list]`,
    );
    return 2;
  }
  const selected = mutations.filter((m) =>
    values.only === undefined || m.name.includes(values.only)
  );
  if (values.list) {
    for (const m of selected) console.log(`${m.name}  (${m.file}; ${m.tests.join(", ")})`);
    return 0;
  }
  if (selected.length === 0) {
    console.error(`mutants: no mutation's name contains '${values.only}'`);
    return 2;
  }
  const root = new URL("..", import.meta.url).pathname;
  const scratch = await Deno.makeTempDir({ prefix: "sgdlab-mutants-" });
  try {
    for (const item of COPIED) await copyTree(join(root, item), join(scratch, item));
    const allTests = [...new Set(selected.flatMap((m) => m.tests))];
    const baseline = await runTests(scratch, allTests);
    if (!baseline.ok) {
      console.error(baseline.log);
      console.error(
        "mutants: the unmutated tests fail, so no mutation can be judged; fix them first",
      );
      return 1;
    }
    const verdicts: Verdict[] = [];
    for (const m of selected) {
      const path = join(scratch, m.file);
      const original = await Deno.readTextFile(path);
      const mutated = applyMutation(original, m);
      let verdict: Verdict = "stale";
      if (mutated !== null) {
        await Deno.writeTextFile(path, mutated);
        try {
          verdict = (await runTests(scratch, m.tests)).ok ? "survived" : "caught";
        } finally {
          await Deno.writeTextFile(path, original);
        }
      }
      verdicts.push(verdict);
      console.log(`${verdict.padEnd(8)} ${m.name}  [${m.file}]`);
    }
    const count = (v: Verdict) => verdicts.filter((x) => x === v).length;
    console.log(
      `mutants: ${count("caught")} caught, ${count("survived")} survived, ${count("stale")} stale`,
    );
    return count("caught") === verdicts.length ? 0 : 1;
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
