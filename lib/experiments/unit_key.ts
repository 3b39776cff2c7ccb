/**
 * The key of a unit of work: a hash of what the unit is (reproduction, id, parameters, seed,
 * profile) and of the code it runs. The code is the reproduction's run module and everything it
 * imports within `lib/`, followed transitively, plus the locked versions of the npm packages it
 * loads; charts and notes that the run module does not import are not part of it, so rewording a
 * note recomputes nothing.
 *
 * Imports are read from the source text: `import … from "…"`, `export … from "…"`,
 * `import "…"` and `import("…")` with a literal specifier. `deno fmt` puts every top-level
 * statement at the start of a line, so an import shown in a comment or a JSDoc example (behind
 * ` * `) is not read; `import type` and `export type` statements are skipped, since they leave no
 * code behind. `tests/repro_unit_key_test.ts` checks the graph against `deno info`.
 *
 * @module
 */
import type { Reproduction, ReproductionOptions, ReproductionUnit } from "./reproduction.ts";

/** The `lib/` folder of this repository. */
const LIB = new URL("../", import.meta.url);

/**
 * The specifiers of the code imports of a module's source: static imports, re-exports,
 * side-effect imports, and dynamic imports and `require` calls of a literal (lib/mathjs.ts loads
 * mathjs with one), in order of appearance. Type-only statements and imports inside comments are
 * left out.
 *
 * @example
 * ```ts
 * import { moduleImports } from "@lib/experiments/unit_key.ts";
 * import assert from "node:assert/strict";
 * const source = [
 *   'import { a, type B } from "./a.ts";',
 *   'import type { C } from "./c.ts";',
 *   "export {",
 *   "  d,",
 *   '} from "@lib/d.ts";',
 *   'export type { E } from "./e.ts";',
 *   'import "./side.ts";',
 *   "/**",
 *   ' * import { f } from "./example_only.ts";',
 *   " *" + "/",
 *   'const g = await import("mathjs");',
 *   'const h = require("vega");',
 * ].join("\n");
 * assert.deepEqual(moduleImports(source), ["./a.ts", "@lib/d.ts", "./side.ts", "mathjs", "vega"]);
 * ```
 */
export function moduleImports(source: string): string[] {
  const found: { at: number; specifier: string }[] = [];
  const statement =
    /^(import|export)(\s+type(?=[\s{*]))?(?:[\w$\s{},*]*?\s*from\s*|\s*)["']([^"'\n]+)["']/gm;
  for (const m of source.matchAll(statement)) {
    if (m[2] === undefined) found.push({ at: m.index, specifier: m[3] });
  }
  const dynamic = /^(?!\s*(?:\*|\/\/)).*?\b(?:import|require)\(\s*["']([^"'\n]+)["']/gm;
  for (const m of source.matchAll(dynamic)) found.push({ at: m.index, specifier: m[1] });
  return found.sort((a, b) => a.at - b.at).map((f) => f.specifier);
}

/** The code a module runs: its files within `lib/` and the packages it loads. */
export interface CodeGraph {
  /** Files of the graph, as paths relative to `lib/`, sorted (the entry included). */
  files: string[];
  /** Specifiers that name packages (bare or `npm:`), sorted, without duplicates. */
  packages: string[];
}

/**
 * Follows the code imports of `entry` transitively through relative and `@lib/` specifiers;
 * `node:` built-ins are left out, bare and `npm:` specifiers are collected as packages.
 *
 * @param options.lib the folder `@lib/` names (default: this repository's `lib/`)
 * @throws {Error} naming the module that cannot be read
 * @example
 * ```ts
 * import { moduleGraph } from "@lib/experiments/unit_key.ts";
 * import assert from "node:assert/strict";
 * const g = moduleGraph(import.meta.resolve("@lib/experiments/selftest.ts"));
 * assert.ok(g.files.includes("experiments/selftest.ts") && g.files.includes("random.ts"));
 * assert.ok(!g.files.includes("experiments/repro.ts"));
 * assert.ok(g.packages.includes("vega-lite")); // selftest draws a chart
 * ```
 */
export function moduleGraph(entry: string | URL, options: { lib?: string | URL } = {}): CodeGraph {
  const lib = new URL(options.lib ?? LIB);
  if (!lib.href.endsWith("/")) lib.href += "/";
  const seen = new Set<string>(), packages = new Set<string>();
  const todo = [new URL(entry).href];
  while (todo.length > 0) {
    const href = todo.pop()!;
    if (seen.has(href)) continue;
    seen.add(href);
    let source: string;
    try {
      source = Deno.readTextFileSync(new URL(href));
    } catch (error) {
      throw new Error(`cannot read module ${href} of the code graph: ${(error as Error).message}`);
    }
    for (const specifier of moduleImports(source)) {
      if (specifier.startsWith("./") || specifier.startsWith("../")) {
        todo.push(new URL(specifier, href).href);
      } else if (specifier.startsWith("@lib/")) {
        todo.push(new URL(specifier.slice("@lib/".length), lib).href);
      } else if (!specifier.startsWith("node:")) {
        packages.add(specifier);
      }
    }
  }
  const relative = (href: string) => href.startsWith(lib.href) ? href.slice(lib.href.length) : href;
  return { files: [...seen].map(relative).sort(), packages: [...packages].sort() };
}

interface DenoLock {
  specifiers?: Record<string, string>;
  npm?: Record<string, { integrity?: string; dependencies?: string[] }>;
}

function readJson(url: URL): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(url));
  } catch {
    return undefined;
  }
}

/**
 * One line per npm package that `packages` load, as `deno.lock` pins them: the package, its
 * version and integrity, for the packages named and every dependency they pull in. A specifier
 * that `deno.json` and `deno.lock` cannot resolve gives a line saying so.
 *
 * @param options.root the folder holding deno.json and deno.lock (default: this repository)
 * @example
 * ```ts
 * import { lockedPackages } from "@lib/experiments/unit_key.ts";
 * import assert from "node:assert/strict";
 * const lines = lockedPackages(["mathjs"]);
 * assert.ok(lines.some((l) => /^mathjs@15\.\d+\.\d+ sha512-/.test(l)));
 * assert.ok(lines.some((l) => l.startsWith("decimal.js@"))); // a dependency of mathjs
 * assert.deepEqual(lockedPackages(["no-such-package"]), ["unlocked no-such-package"]);
 * ```
 */
export function lockedPackages(
  packages: readonly string[],
  options: { root?: string | URL } = {},
): string[] {
  const root = new URL(options.root ?? new URL("../", LIB));
  if (!root.href.endsWith("/")) root.href += "/";
  const imports = (readJson(new URL("deno.json", root))?.imports ?? {}) as Record<string, string>;
  const lock = (readJson(new URL("deno.lock", root)) ?? {}) as DenoLock;
  const npm = lock.npm ?? {};
  const lines = new Set<string>(), seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    lines.add(`${key} ${npm[key].integrity ?? "(no integrity)"}`);
    for (const dep of npm[key].dependencies ?? []) {
      const keys = dep in npm ? [dep] : Object.keys(npm).filter((k) => k.startsWith(`${dep}@`));
      for (const k of keys) visit(k);
    }
  };
  for (const specifier of packages) {
    const name = specifier.startsWith("npm:")
      ? specifier
      : imports[specifier] ?? imports[packageName(specifier)] ?? specifier;
    const m = name.match(/^npm:\/?((?:@[^/@]+\/)?[^/@]+)(@[^/]*)?/);
    const resolved = m ? lock.specifiers?.[`npm:${m[1]}${m[2] ?? ""}`] : undefined;
    const key = m && resolved !== undefined ? `${m[1]}@${resolved}` : undefined;
    if (key !== undefined && key in npm) visit(key);
    else lines.add(`unlocked ${specifier}`);
  }
  return [...lines].sort();
}

/** The package of a bare specifier: `a/b/c` → `a`, `@s/a/b` → `@s/a`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A fingerprint of the code a module runs: the hex SHA-256 of every file of its
 * {@link moduleGraph} (path and content, sorted by path) and of the {@link lockedPackages} it
 * loads. It is part of every unit's key, so a rerun after a change to that code recomputes
 * instead of reusing results of the old code, and a change elsewhere reuses them.
 *
 * @param options.lib the folder `@lib/` names; deno.json and deno.lock are read from its parent
 * @example
 * ```ts
 * import { codeFingerprint } from "@lib/experiments/unit_key.ts";
 * import assert from "node:assert/strict";
 * const selftest = import.meta.resolve("@lib/experiments/selftest.ts");
 * assert.match(await codeFingerprint(selftest), /^[0-9a-f]{64}$/);
 * assert.equal(await codeFingerprint(selftest), await codeFingerprint(selftest));
 * assert.notEqual(
 *   await codeFingerprint(selftest),
 *   await codeFingerprint(import.meta.resolve("@lib/experiments/cost/mod.ts")),
 * );
 * ```
 */
export async function codeFingerprint(
  entry: string | URL,
  options: { lib?: string | URL } = {},
): Promise<string> {
  const lib = new URL(options.lib ?? LIB);
  if (!lib.href.endsWith("/")) lib.href += "/";
  const graph = moduleGraph(entry, { lib });
  const parts = graph.files.map((f) => `${f}\n${Deno.readTextFileSync(new URL(f, lib))}`);
  parts.push(lockedPackages(graph.packages, { root: new URL("../", lib) }).join("\n"));
  return await sha256(parts.join("\n\u0000\n"));
}

/**
 * The module whose code the units of `r` run: its `runModule`, else by convention the module
 * that defines it, `lib/experiments/<name>/mod.ts` or `lib/experiments/<name>.ts`.
 *
 * @throws {Error} when `r` declares no run module and neither conventional file exists
 * @example
 * ```ts
 * import { runModuleOf } from "@lib/experiments/unit_key.ts";
 * import { selftest } from "@lib/experiments/selftest.ts";
 * import assert from "node:assert/strict";
 * assert.match(runModuleOf(selftest), /\/lib\/experiments\/selftest\.ts$/);
 * assert.equal(runModuleOf({ ...selftest, runModule: "file:///x/run.ts" }), "file:///x/run.ts");
 * ```
 */
export function runModuleOf(r: Reproduction, options: { lib?: string | URL } = {}): string {
  if (r.runModule !== undefined) return new URL(r.runModule).href;
  const lib = new URL(options.lib ?? LIB);
  if (!lib.href.endsWith("/")) lib.href += "/";
  const candidates = [`experiments/${r.name}/mod.ts`, `experiments/${r.name}.ts`];
  for (const candidate of candidates) {
    const url = new URL(candidate, lib);
    try {
      if (Deno.statSync(url).isFile) return url.href;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `cannot fingerprint the code of reproduction '${r.name}': it declares no runModule, ` +
      `and neither lib/${candidates.join(" nor lib/")} exists`,
  );
}

/**
 * The cache key of a unit: the hex SHA-256 of its reproduction, id, parameters (keys sorted),
 * seed, profile and the code fingerprint.
 *
 * @example
 * ```ts
 * import { unitKey } from "@lib/experiments/unit_key.ts";
 * import assert from "node:assert/strict";
 * const a = await unitKey("r", { id: "u", params: { b: 1, a: 2 } }, { seed: 1, profile: "quick" });
 * const b = await unitKey("r", { id: "u", params: { a: 2, b: 1 } }, { seed: 1, profile: "quick" });
 * assert.equal(a, b);
 * assert.notEqual(a, await unitKey("r", { id: "u", params: { a: 2, b: 1 } }, { seed: 2, profile: "quick" }));
 * ```
 */
export async function unitKey(
  reproduction: string,
  unit: ReproductionUnit,
  options: ReproductionOptions & { code?: string },
): Promise<string> {
  const params = Object.keys(unit.params).sort().map((k) => [k, unit.params[k]]);
  return await sha256(
    JSON.stringify([reproduction, unit.id, params, options.seed, options.profile, options.code]),
  );
}
