/**
 * PyTorch as a peer: times sgdlab's training step and PyTorch's on the same networks, one thread
 * each, paired and interleaved, for `deno task bench:report --peers`.
 *
 * PyTorch runs in one Python process, `bench/peers.py`, a server that reads one JSON command per
 * line: build a configuration, time N calls. This process alternates, per round and
 * configuration, a timed block of sgdlab's step (`passWorkload(config).step()`: forward + loss +
 * backward, Float64, one kernel thread) and a timed block of PyTorch's step in f64 and in f32, so
 * that drift on a shared machine falls on both sides. `peerRows` (bench/peer_rows.ts) turns
 * the per-round times into medians and paired ratios.
 *
 * @module
 */
import { simdPeak } from "./simd_peak.ts";
import { join } from "node:path";
import {
  classifierConfig,
  courseGrid,
  flopModel,
  type PassConfig,
  passWorkload,
  Random,
} from "@lib/mod.ts";
import { useKernelThreads } from "@lib/kernels/mod.ts";
import { repoRoot } from "@lib/io.ts";

/** The PyTorch dtypes timed; sgdlab computes in Float64 only. */
export const PEER_DTYPES = ["f64", "f32"] as const;
/** A PyTorch dtype: `f64` (torch.float64) or `f32` (torch.float32). */
export type PeerDtype = typeof PEER_DTYPES[number];

/**
 * The configurations of issue 11's table: the course's network at n ∈ {64, 256, 1024},
 * B ∈ {32, 256}, L = 4 (tanh, squared error), and the classifiers 784-256-256-10 at B = 128 and
 * 784-64-64-10 at B = 32 (relu, softmax cross-entropy).
 */
export const PEER_CONFIGS: readonly PassConfig[] = [
  ...courseGrid({ n: [64, 256, 1024], batch: [32, 256], hidden: [4] }),
  classifierConfig(),
  classifierConfig({ sizes: [784, 64, 64, 10], batch: 32 }),
];
/** `--quick`: {@link PEER_CONFIGS} without n = 1024. */
export const QUICK_PEER_CONFIGS: readonly PassConfig[] = PEER_CONFIGS.filter((c) => c.n < 1024);
/** The command that installs PyTorch on Debian, printed when it is missing. */
export const TORCH_INSTALL = "sudo apt-get install python3-torch libopenblas0-openmp";
/** The Pythons tried in turn: Debian's, which has python3-torch, then the one on PATH. */
export const DEFAULT_PYTHONS: readonly string[] = ["/usr/bin/python3", "python3"];
/** One thread for OpenMP, OpenBLAS and MKL in the Python process. */
const THREAD_ENV = { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };

/**
 * The command line of the PyTorch server: `<python> <repo>/bench/peers.py`.
 *
 * @example
 * ```ts
 * import { peerServerArgv } from "../bench/peers.ts";
 * import assert from "node:assert/strict";
 * const argv = peerServerArgv("/usr/bin/python3");
 * assert.equal(argv[0], "/usr/bin/python3");
 * assert.match(argv[1], /bench[\\/]peers\.py$/);
 * ```
 */
export function peerServerArgv(python: string): string[] {
  return [python, join(repoRoot(), "bench", "peers.py")];
}

/** A Python that imports torch. */
export interface TorchPython {
  /** The command, as given. */
  python: string;
  /** `torch.__version__`. */
  torch: string;
  /** `platform.python_version()`. */
  pythonVersion: string;
}

/**
 * The first of `candidates` that imports torch, or the reason each one failed (not found, or
 * the last line of its error, such as `ModuleNotFoundError: No module named 'torch'`).
 *
 * @example
 * ```ts
 * import { findTorchPython } from "../bench/peers.ts";
 * import assert from "node:assert/strict";
 * const found = await findTorchPython(["/nonexistent/python3"]);
 * assert.deepEqual(found, { tried: ["/nonexistent/python3: not found"] });
 * ```
 */
export async function findTorchPython(
  candidates: readonly string[] = DEFAULT_PYTHONS,
): Promise<{ found: TorchPython } | { tried: string[] }> {
  const tried: string[] = [];
  for (const python of candidates) {
    let output: Deno.CommandOutput;
    try {
      output = await new Deno.Command(python, {
        args: ["-c", "import platform, torch; print(torch.__version__, platform.python_version())"],
        env: THREAD_ENV,
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      tried.push(`${python}: ${e instanceof Deno.errors.NotFound ? "not found" : String(e)}`);
      continue;
    }
    const [torch, pythonVersion] = new TextDecoder().decode(output.stdout).trim().split(/\s+/);
    if (output.code === 0 && torch && pythonVersion) {
      return { found: { python, torch, pythonVersion } };
    }
    const err = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1);
    tried.push(`${python}: ${err || `exited with code ${output.code}`}`);
  }
  return { tried };
}

/** Splits a byte stream into lines (without their "\n"). */
function lineReader(stream: ReadableStream<Uint8Array>): ReadableStreamDefaultReader<string> {
  let rest = "";
  return stream.pipeThrough(new TextDecoderStream()).pipeThrough(
    new TransformStream<string, string>({
      transform(chunk, controller) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        for (const p of parts) controller.enqueue(p);
      },
      flush(controller) {
        if (rest) controller.enqueue(rest);
      },
    }),
  ).getReader();
}

/**
 * The Python server `bench/peers.py` (or any command speaking its protocol): one JSON command per
 * line on its stdin, one JSON reply per line on its stdout, its stderr shown as is.
 *
 * @example A stand-in server that speaks the protocol (tests/fake_peer_server.ts)
 * ```ts
 * import { PeerServer } from "../bench/peers.ts";
 * import assert from "node:assert/strict";
 * const server = PeerServer.start([Deno.execPath(), "run", "tests/fake_peer_server.ts"]);
 * try {
 *   assert.equal((await server.request({ cmd: "time", id: "a", calls: 10 })).ms, 1);
 *   await assert.rejects(server.request({ cmd: "nonsense" }), /cannot run 'nonsense'/);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export class PeerServer {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: ReadableStreamDefaultReader<string>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = lineReader(child.stdout);
  }

  /**
   * Starts `argv`, by default {@link peerServerArgv}: `python bench/peers.py`, with one thread
   * for OpenMP, OpenBLAS and MKL.
   */
  static start(argv: readonly string[]): PeerServer {
    return new PeerServer(
      new Deno.Command(argv[0], {
        args: argv.slice(1),
        cwd: repoRoot(),
        env: THREAD_ENV,
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn(),
    );
  }

  /**
   * Sends one command and returns its reply.
   *
   * @throws {Error} when the server replies `ok: false`, sends no JSON, or has exited
   */
  async request(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const action = `cannot run '${command.cmd}' in the PyTorch server`;
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    } catch (e) {
      throw new Error(`${action}: it stopped reading (${(e as Error).message})`);
    }
    const { value, done } = await this.#lines.read();
    if (done) throw new Error(`${action}: it exited (its error is above)`);
    let reply;
    try {
      reply = JSON.parse(value);
    } catch {
      throw new Error(`${action}: expected a JSON reply, got '${value.slice(0, 200)}'`);
    }
    if (reply?.ok !== true) throw new Error(`${action}: ${reply?.error ?? value}`);
    return reply;
  }

  /** Asks the server to quit and waits for it to exit. */
  async close(): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode('{"cmd": "quit"}\n'));
      await this.#writer.close();
    } catch {
      // the server had exited already
    }
    while (!(await this.#lines.read()).done) { /* drain */ }
    await this.#child.status;
  }
}

/** One timed block: runs a number of calls and returns the wall-clock ms per call. */
export type TimedBlock = () => number | Promise<number>;

/**
 * Runs `rounds` rounds; in each, every group's blocks run one after another, in the given order
 * on even rounds and reversed on odd ones, so that neither side always runs first. Returns, per
 * group and block, the ms per call of every round.
 *
 * @throws {RangeError} when rounds is not an integer ≥ 1
 * @example
 * ```ts
 * import { interleavedRounds } from "../bench/peers.ts";
 * import assert from "node:assert/strict";
 * const order: string[] = [];
 * const block = (name: string, ms: number) => () => (order.push(name), ms);
 * const samples = await interleavedRounds([[block("a", 1), block("b", 2)]], 2);
 * assert.deepEqual(order, ["a", "b", "b", "a"]);
 * assert.deepEqual(samples, [[[1, 1], [2, 2]]]);
 * ```
 */
export async function interleavedRounds(
  groups: readonly (readonly TimedBlock[])[],
  rounds: number,
): Promise<number[][][]> {
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(`cannot time ${rounds} rounds: need an integer >= 1`);
  }
  const samples = groups.map((g) => g.map(() => [] as number[]));
  for (let r = 0; r < rounds; r++) {
    for (const [gi, group] of groups.entries()) {
      const order = [...group.keys()];
      if (r % 2 === 1) order.reverse();
      for (const bi of order) samples[gi][bi].push(await group[bi]());
    }
  }
  return samples;
}

/**
 * Calls per timed block so that a block lasts about `minMs`, from the time of one call.
 *
 * @example
 * ```ts
 * import { callsFor } from "../bench/peers.ts";
 * import assert from "node:assert/strict";
 * assert.equal(callsFor(0.3, 30), 100);
 * assert.equal(callsFor(300, 30), 1);
 * ```
 */
export function callsFor(onceMs: number, minMs: number): number {
  return Math.max(1, Math.ceil(minMs / Math.max(onceMs, 1e-3)));
}

/** One configuration's times, ms per call, one entry per round. */
export interface PeerSamples {
  /** Configuration name (`passConfigFromName` reads it back). */
  config: string;
  /** FLOPs of one training step (lib/flops.ts). */
  stepFlops: number;
  /** sgdlab's step, Float64, one kernel thread. */
  sgdlab: number[];
  /** PyTorch's step per dtype. */
  torch: Record<PeerDtype, number[]>;
  /** Calls per block: sgdlab's, then PyTorch's per dtype. */
  calls: { sgdlab: number } & Record<PeerDtype, number>;
}

/** What {@link measurePeers} measured. */
export interface PeerMeasurement {
  /** The Python and its torch version. */
  peer: TorchPython;
  /** Rounds per configuration and the least duration of a block, ms. */
  rounds: number;
  minMs: number;
  /** Per configuration, in the given order. */
  samples: PeerSamples[];
  /**
   * The f64x2 limit, GFLOP/s (bench/simd_peak.ts): one block per round among the others, the
   * best round (the limit is what the machine can give, drift only lowers it).
   */
  simdPeakGflops?: number;
}

/**
 * Times sgdlab's step and PyTorch's (f64 and f32) on every configuration: builds each side
 * (warm-up: 2 calls, then the fastest of 3 timed calls), sizes the blocks to last `minMs` (default 50), then
 * {@link interleavedRounds} over configurations (default 9 rounds). sgdlab's products run on one
 * thread for the duration (`useKernelThreads(1)`; the previous setting is restored). Wall-clock
 * times: for reports only, never for assertions.
 *
 * `server` replaces the command line of the server, {@link peerServerArgv} of the peer's Python.
 *
 * @throws {Error} when the server fails a command
 * @example With a stand-in server (tests/fake_peer_server.ts: every PyTorch call takes 1 ms)
 * ```ts
 * import { measurePeers } from "../bench/peers.ts";
 * import { courseConfig } from "@lib/mod.ts";
 * import assert from "node:assert/strict";
 * const m = await measurePeers([courseConfig(8, { batch: 4, hidden: 2 })], {
 *   peer: { python: "fake", torch: "0", pythonVersion: "0" },
 *   server: [Deno.execPath(), "run", "tests/fake_peer_server.ts"],
 *   rounds: 3,
 *   minMs: 1,
 * });
 * assert.equal(m.samples[0].config, "n=8 B=4 L=2");
 * assert.deepEqual(m.samples[0].torch, { f64: [1, 1, 1], f32: [1, 1, 1] });
 * assert.equal(m.samples[0].sgdlab.length, 3); // sgdlab's times are real: not asserted
 * ```
 */
export async function measurePeers(
  configs: readonly PassConfig[],
  options: {
    peer: TorchPython;
    server?: readonly string[];
    rounds?: number;
    minMs?: number;
    log?: (line: string) => void;
  },
): Promise<PeerMeasurement> {
  const rounds = options.rounds ?? 9, minMs = options.minMs ?? 50;
  const log = options.log ?? (() => {});
  const previousThreads = useKernelThreads(1);
  const server = PeerServer.start(options.server ?? peerServerArgv(options.peer.python));
  try {
    const groups: TimedBlock[][] = [];
    const calls: PeerSamples["calls"][] = [];
    for (const config of configs) {
      const w = passWorkload(config, { random: new Random(2018) });
      w.step(); // warm-up: compile, first-touch the workspace
      w.step();
      let once = Infinity;
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        w.step();
        once = Math.min(once, performance.now() - start);
      }
      const c = { sgdlab: callsFor(once, minMs), f64: 0, f32: 0 };
      const group: TimedBlock[] = [() => {
        const start = performance.now();
        for (let i = 0; i < c.sgdlab; i++) w.step();
        return (performance.now() - start) / c.sgdlab;
      }];
      for (const dtype of PEER_DTYPES) {
        const id = `${config.name} ${dtype}`;
        const built = await server.request({
          cmd: "build",
          id,
          sizes: config.sizes,
          batch: config.batch,
          activation: config.activation,
          loss: config.loss,
          dtype,
          seed: 2018,
        });
        c[dtype] = callsFor(Number(built.once_ms), minMs);
        group.push(async () =>
          Number((await server.request({ cmd: "time", id, calls: c[dtype] })).ms)
        );
      }
      groups.push(group);
      calls.push(c);
      log(`peers: built ${config.name} (calls per block: ${c.sgdlab}, ${c.f64}, ${c.f32})`);
    }
    const peak = await simdPeak();
    groups.push([() => peak.run()]);
    log(`peers: ${rounds} rounds of ${configs.length} configurations and the f64x2 limit`);
    const samples = await interleavedRounds(groups, rounds);
    const peakMs = Math.min(...samples[configs.length][0]);
    return {
      peer: options.peer,
      rounds,
      minMs,
      samples: configs.map((config, i) => ({
        config: config.name,
        stepFlops: flopModel(config.sizes, { batch: config.batch }).step.total,
        sgdlab: samples[i][0],
        torch: { f64: samples[i][1], f32: samples[i][2] },
        calls: calls[i],
      })),
      simdPeakGflops: peak.flops / peakMs / 1e6,
    };
  } finally {
    await server.close();
    useKernelThreads(previousThreads);
  }
}
