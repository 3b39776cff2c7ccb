/**
 * The project-local Jupyter kernelspec for Deno: `.jupyter/kernels/deno/` under the repository
 * root (git-ignored), found by Jupyter through `JUPYTER_PATH=<root>/.jupyter`.
 *
 * It mirrors what `deno jupyter --install` writes (display name, language, logos) with two
 * changes: `env: {NO_COLOR: "1"}`, so that text outputs carry no ANSI colours, and an argv that
 * runs `launch.sh` beside kernel.json instead of a deno binary. A deno binary may live in npm's
 * npx cache (`~/.npm/_npx/<hash>/…/deno`), which can be cleared at any time; the launcher runs
 * the deno recorded when it was written if that file is still there, else a deno of the same
 * version on PATH, else `npx --yes deno@<version>` (which fetches it again). `tools/notebooks.ts`
 * calls {@linkcode ensureKernelspec} before every run, which rewrites a spec that no longer
 * matches this deno, and `.ci/run` runs this file and exports the printed folder.
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

/** The launcher's file name, beside kernel.json. */
export const LAUNCHER = "launch.sh";

/** `text` as one single-quoted POSIX shell word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The POSIX shell script that starts the kernel: `deno` (the binary recorded now) if it is
 * still executable, else a `deno` on PATH whose `--version` says `version`, else
 * `npx --yes deno@<version>`; with none of them it says so on stderr and exits 127.
 *
 * @example
 * ```ts
 * import { launcherScript } from "../tools/kernelspec.ts";
 * import assert from "node:assert/strict";
 * const script = launcherScript("/opt/it's/deno", "2.9.6");
 * assert.match(script, /^#!\/bin\/sh\n/);
 * assert.match(script, /^recorded='\/opt\/it'\\''s\/deno'$/m);
 * assert.match(script, /exec npx --yes "deno@\$version" "\$@"/);
 * ```
 */
export function launcherScript(deno: string, version: string): string {
  if (!/^[0-9A-Za-z.+-]+$/.test(version)) {
    throw new RangeError(`cannot write the kernel launcher: '${version}' is not a version`);
  }
  return `#!/bin/sh
# Starts Deno's Jupyter kernel (written by tools/kernelspec.ts): the deno recorded when this
# kernelspec was written, else a deno ${version} on PATH, else npm's deno@${version} through npx.
recorded=${shellQuote(deno)}
version=${version}
if [ -x "$recorded" ]; then exec "$recorded" "$@"; fi
if command -v deno >/dev/null 2>&1; then
  case "$(deno --version 2>/dev/null)" in
    "deno $version "*) exec deno "$@" ;;
  esac
fi
if command -v npx >/dev/null 2>&1; then exec npx --yes "deno@$version" "$@"; fi
echo "deno kernel: cannot start deno $version: $recorded is gone, no deno $version is on PATH and npx is missing" >&2
exit 127
`;
}

/**
 * The kernel.json that runs `launcher`: what `deno jupyter --install` wrote (`installed`, else
 * the same fields written here), with the launcher as the program and NO_COLOR=1 in `env`.
 *
 * @example
 * ```ts
 * import { kernelJson } from "../tools/kernelspec.ts";
 * import assert from "node:assert/strict";
 * const spec = kernelJson("/repo/.jupyter/kernels/deno/launch.sh");
 * assert.deepEqual(spec.argv, [
 *   "/repo/.jupyter/kernels/deno/launch.sh", "jupyter", "--kernel", "--conn", "{connection_file}",
 * ]);
 * assert.deepEqual(spec.env, { NO_COLOR: "1" });
 * ```
 */
export function kernelJson(launcher: string, installed?: KernelJson): KernelJson {
  const base: KernelJson = installed ?? {
    argv: ["deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  return { ...base, argv: [launcher, ...base.argv.slice(1)], env: { ...base.env, NO_COLOR: "1" } };
}

/** Whether the kernelspec in `kernelDir` runs `launcher` with NO_COLOR and the script given. */
async function upToDate(kernelDir: string, launcher: string, script: string): Promise<boolean> {
  try {
    const current = JSON.parse(
      await Deno.readTextFile(join(kernelDir, "kernel.json")),
    ) as KernelJson;
    const info = await Deno.stat(launcher);
    return current.argv?.[0] === launcher && current.env?.NO_COLOR === "1" &&
      (info.mode === null || (info.mode & 0o111) !== 0) &&
      await Deno.readTextFile(launcher) === script;
  } catch {
    return false; // missing or unreadable: (re)write
  }
}

/**
 * Makes sure `<root>/.jupyter/kernels/deno/` holds a kernel.json whose argv runs `launch.sh`
 * beside it, and a launcher for this deno (`Deno.execPath()`, version `Deno.version.deno`),
 * then returns `<root>/.jupyter`, the folder for JUPYTER_PATH. A kernelspec that points
 * elsewhere (an older one naming a deno binary, or another deno) is rewritten. Runs
 * `deno jupyter --install` into a scratch data folder to copy its logos, and writes kernel.json
 * alone if that fails. Needs read, write, env and run permissions.
 *
 * @example
 * ```ts
 * import { ensureKernelspec } from "../tools/kernelspec.ts";
 * import assert from "node:assert/strict";
 * const dir = await ensureKernelspec();
 * const spec = JSON.parse(await Deno.readTextFile(`${dir}/kernels/deno/kernel.json`));
 * assert.equal(spec.argv[0], `${dir}/kernels/deno/launch.sh`);
 * assert.match(await Deno.readTextFile(spec.argv[0]), new RegExp(Deno.version.deno));
 * assert.equal(spec.env.NO_COLOR, "1");
 * ```
 */
export async function ensureKernelspec(options: { root?: string } = {}): Promise<string> {
  const jupyterDir = join(options.root ?? repoRoot(), ".jupyter");
  const kernelDir = join(jupyterDir, "kernels", "deno");
  const launcher = join(kernelDir, LAUNCHER);
  const deno = Deno.execPath();
  const script = launcherScript(deno, Deno.version.deno);
  if (await upToDate(kernelDir, launcher, script)) return jupyterDir;
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
    await Deno.writeTextFile(launcher, script, { mode: 0o755 });
    await Deno.chmod(launcher, 0o755);
    const spec = kernelJson(launcher, fromDeno);
    await Deno.writeTextFile(join(kernelDir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
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
