/**
 * `deno task bench:report --peers`: the PyTorch comparison from start to `peers.csv`.
 *
 * @module
 */
import { join } from "node:path";
import { writeCsv } from "@lib/io.ts";
import {
  DEFAULT_PYTHONS,
  findTorchPython,
  measurePeers,
  PEER_CONFIGS,
  QUICK_PEER_CONFIGS,
} from "./peers.ts";
import { PEER_COLUMNS, peerRows, type PeersOutcome, torchMissingMessage } from "./peer_rows.ts";

/**
 * `--peers`: finds a Python with torch, times both sides, writes `peers.csv` into `out`. Never
 * throws: a missing PyTorch or a failure is reported and the rest of the report carries on.
 * Without `python`, the Pythons of `DEFAULT_PYTHONS` are tried in turn. Full: 9 rounds of
 * blocks of at least 50 ms over `PEER_CONFIGS`; quick: 5 rounds of 30 ms over
 * `QUICK_PEER_CONFIGS`.
 *
 * @example Without PyTorch: says how to install it, writes nothing
 * ```ts
 * import { comparePeers } from "../bench/compare_peers.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const outcome = await comparePeers(dir, { quick: true, python: "/nonexistent/python3" });
 * assert.deepEqual(outcome, { status: "missing", tried: ["/nonexistent/python3: not found"] });
 * assert.deepEqual([...Deno.readDirSync(dir)], []);
 * await Deno.remove(dir);
 * ```
 */
export async function comparePeers(
  out: string,
  options: { quick: boolean; python?: string },
): Promise<PeersOutcome> {
  const log = (line: string) => console.error(`bench:report: ${line}`);
  const search = await findTorchPython(options.python ? [options.python] : DEFAULT_PYTHONS);
  if ("tried" in search) {
    log(torchMissingMessage(search.tried));
    return { status: "missing", tried: search.tried };
  }
  const peer = search.found;
  log(`peers: PyTorch ${peer.torch} in ${peer.python} (Python ${peer.pythonVersion})`);
  try {
    const start = performance.now();
    const measurement = await measurePeers(options.quick ? QUICK_PEER_CONFIGS : PEER_CONFIGS, {
      peer,
      rounds: options.quick ? 5 : 9,
      minMs: options.quick ? 30 : 50,
      log,
    });
    log(`peers: timed in ${((performance.now() - start) / 1000).toFixed(0)} s`);
    const rows = peerRows(measurement.samples);
    await writeCsv(join(out, "peers.csv"), rows, { columns: [...PEER_COLUMNS] });
    return { status: "measured", measurement, rows };
  } catch (e) {
    log(`the PyTorch comparison failed: ${(e as Error).message}`);
    return { status: "failed", error: (e as Error).message };
  }
}
