/**
 * The project-local Jupyter kernelspec for Deno: `.jupyter/kernels/deno/` under the repository
 * root (git-ignored), found by Jupyter through `JUPYTER_PATH=<root>/.jupyter`.
 *
 * It mirrors what `deno jupyter --install` writes (argv with the absolute path of this deno,
 * display name, language, logos) and adds `env: {NO_COLOR: "1"}` so that text outputs carry no
 * ANSI colours. This is the one place that sets the kernel up: `.ci/run` runs this file and
 * exports the printed folder, and `tools/notebooks.ts` calls {@linkcode ensureKernelspec}.
 *
 * Usage: `deno run -A tools/kernelspec.ts` → prints the folder to put on JUPYTER_PATH.
 *
 * @module
 */

import { join } from "node:path";
import { repoRoot } from "../lib/io.ts";

/** The kernel.json of a Jupyter kernelspec. */
export interface KernelJson {
  argv: string[];
  display_name: string;
  language: string;
  env?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * The kernel.json for a deno binary: what `deno jupyter --install` wrote (`installed`, else
 * the same fields written here), with `denoPath` as the program and NO_COLOR=1 in `env`.
 *
 * @example
 * ```ts
 * import { kernelJson } from "../tools/kernelspec.ts";
 * import assert from "node:assert/strict";
 * const spec = kernelJson("/opt/deno");
 * assert.deepEqual(spec.argv, ["/opt/deno", "jupyter", "--kernel", "--conn", "{connection_file}"]);
 * assert.deepEqual(spec.env, { NO_COLOR: "1" });
 * ```
 */
export function kernelJson(denoPath: string, installed?: KernelJson): KernelJson {
  const base: KernelJson = installed ?? {
    argv: [denoPath, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  return { ...base, argv: [denoPath, ...base.argv.slice(1)], env: { ...base.env, NO_COLOR: "1" } };
}

/**
 * Makes sure `<root>/.jupyter/kernels/deno/kernel.json` exists and points at this deno binary
 * (`Deno.execPath()`), then returns `<root>/.jupyter`, the folder for JUPYTER_PATH. Runs
 * `deno jupyter --install` into a scratch data folder to copy its files, and falls back to
 * writing kernel.json alone if that fails. Needs read, write, env and run permissions.
 *
 * @example
 * ```ts
 * import { ensureKernelspec } from "../tools/kernelspec.ts";
 * import assert from "node:assert/strict";
 * const dir = await ensureKernelspec();
 * const spec = JSON.parse(await Deno.readTextFile(`${dir}/kernels/deno/kernel.json`));
 * assert.equal(spec.argv[0], Deno.execPath());
 * assert.equal(spec.env.NO_COLOR, "1");
 * ```
 */
export async function ensureKernelspec(options: { root?: string } = {}): Promise<string> {
  const jupyterDir = join(options.root ?? repoRoot(), ".jupyter");
  const kernelDir = join(jupyterDir, "kernels", "deno");
  const kernelPath = join(kernelDir, "kernel.json");
  const deno = Deno.execPath();
  try {
    const current = JSON.parse(await Deno.readTextFile(kernelPath)) as KernelJson;
    if (current.argv?.[0] === deno && current.env?.NO_COLOR === "1") return jupyterDir;
  } catch {
    // missing or unreadable: (re)install below
  }
  await Deno.mkdir(kernelDir, { recursive: true });
  const scratch = await Deno.makeTempDir({ prefix: "sgdlab_kernelspec_" });
  try {
    const installed = await installInto(deno, scratch);
    if (installed !== undefined) {
      for await (const entry of Deno.readDir(installed)) {
        if (entry.isFile && entry.name !== "kernel.json") {
          await Deno.copyFile(join(installed, entry.name), join(kernelDir, entry.name));
        }
      }
    }
    const fromDeno = installed === undefined
      ? undefined
      : JSON.parse(await Deno.readTextFile(join(installed, "kernel.json"))) as KernelJson;
    const spec = kernelJson(deno, fromDeno);
    await Deno.writeTextFile(kernelPath, JSON.stringify(spec, null, 2) + "\n");
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
  return jupyterDir;
}

/** Runs `deno jupyter --install` with XDG_DATA_HOME redirected; the kernel folder or undefined. */
async function installInto(deno: string, dataHome: string): Promise<string | undefined> {
  const result = await new Deno.Command(deno, {
    args: ["jupyter", "--install", "--force", "--name", "deno"],
    env: { HOME: dataHome, XDG_DATA_HOME: dataHome, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dir = join(dataHome, "jupyter", "kernels", "deno");
  try {
    if (result.success && Deno.statSync(join(dir, "kernel.json")).isFile) return dir;
  } catch {
    // deno wrote elsewhere: fall back to our own kernel.json
  }
  return undefined;
}

if (import.meta.main) {
  console.log(await ensureKernelspec());
}
