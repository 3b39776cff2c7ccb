/**
 * Does importance sampling pay at equal cost? The seeded check of issue 12 ("When does importance
 * sampling pay?", section 4): with each sampler at its own best η, the best importance sampler
 * ends at a lower training loss than tuned uniform SGD at equal forward-equivalents.
 *
 * The protocol was fixed, and written here, before any of its outcomes was seen:
 * - Data and θ_0: the importance reproduction's seeding ({@link importanceSetup}) with N = 1000
 *   MNIST training digits and a 784-32-10 relu network, softmax cross-entropy; every run of a
 *   seed starts from the same θ_0 with `fit`'s random at the seed's training seed.
 * - b = 32; the presampled upper bound at k = 3 (B = 96).
 * - Budget: F = 92,160 forward-equivalents, 960 uniform steps (about 31 epochs, late training).
 *   Each sampler takes as many steps as its nominal price fits in F: uniform ⌊F/3b⌋ = 960; upper
 *   bound, always on, reusing its scoring pass, ⌊F/(kb + 2b)⌋ = 576; stale scores (α = 0.5),
 *   after scoring all N once, ⌊(F − N)/3b⌋ = 949. The first test checks that `fit`'s own count
 *   agrees: each run ends within one step's price below F.
 * - Selective backprop and ISGD are left out: their price per step is random (candidates
 *   forwarded, repeated steps), so a number of steps does not fix their cost.
 * - Judged by the final training loss over all N (no `trainSubset`).
 * - η per sampler: `selectEta` over the doubling grid 0.1, 0.2, 0.4, 0.8 (constant η), on tuning
 *   seeds 11 and 12; a diverged run counts as +∞. Evaluation seeds: 1, 2, 3, never tuning seeds.
 * - The claim, per evaluation seed: min over {upper bound, stale scores} of the final training
 *   loss < tuned uniform's.
 *
 * Outcome: the claim does not hold. Every sampler's tuned η is 0.4, inside the grid (the second
 * test). On each of seeds 1, 2 and 3, tuned uniform ends lowest at F. Stale scores come next, at
 * 1.04–1.10× uniform's loss, and the upper bound is last, at 2.3–2.4×. Its 576 steps at 5b do not
 * catch up with uniform's 960 steps at 3b. The last test asserts that order, which is what holds.
 * Uniform's loss after 576 steps (read once from a run that evaluated every 192 steps, which left
 * its training unchanged) was below the upper bound's on seeds 2 and 3 and above it on seed 1.
 * So at this size the gain does not hold even at equal steps when η is tuned for F.
 *
 * @module
 */
import assert from "node:assert/strict";
import { importanceSetup } from "@lib/experiments/importance/setup.ts";
import { type ImportanceProfile, importanceProfiles } from "@lib/experiments/importance/profile.ts";
import {
  STUDY_SAMPLER_SPECS,
  type StudySamplerId,
} from "@lib/experiments/importance/study/registry.ts";
import {
  type EtaChoice,
  etaGrid,
  selectEta,
  type TuningRow,
} from "@lib/experiments/importance/eta_selection.ts";
import { fit, TrainingDivergedError } from "@lib/train.ts";
import { Random } from "@lib/random.ts";

const N = 1000, b = 32, k = 3, F = 960 * 3 * b;
const GRID = etaGrid({ from: 0.1, to: 0.8 });
const TUNING_SEEDS = [11, 12], EVALUATION_SEEDS = [1, 2, 3];
const IMPORTANCE: readonly StudySamplerId[] = ["upper-bound", "stale-scores"];
const SAMPLERS: readonly StudySamplerId[] = ["uniform", ...IMPORTANCE];

/** Each sampler's nominal price: the steps that fit in F, and the most one step costs. */
const PRICE: Readonly<Record<string, { steps: number; perStep: number }>> = {
  "uniform": { steps: Math.floor(F / (3 * b)), perStep: 3 * b },
  "upper-bound": { steps: Math.floor(F / (k * b + 2 * b)), perStep: k * b + 2 * b },
  "stale-scores": { steps: Math.floor((F - N) / (3 * b)), perStep: 3 * b },
};

const PROFILE: ImportanceProfile = {
  ...importanceProfiles.quick,
  trainSize: N,
  testSize: 1,
  hidden: [32],
  analysisSize: N,
};

/** One run's end: its final training loss over all N (+∞ when it diverged) and its cost. */
interface RunEnd {
  sampler: StudySamplerId;
  seed: number;
  eta: number;
  trainLoss: number;
  forwardEquivalents: number;
}

const setups = new Map<number, ReturnType<typeof importanceSetup>>();

async function run(sampler: StudySamplerId, seed: number, eta: number): Promise<RunEnd> {
  if (!setups.has(seed)) setups.set(seed, importanceSetup(seed, PROFILE));
  const setup = await setups.get(seed)!;
  const { steps } = PRICE[sampler];
  try {
    const history = await fit(setup.model.clone(), setup.train, {
      loss: "softmaxCrossEntropy",
      random: new Random(setup.trainingSeed),
      batchSize: b,
      learningRate: eta,
      steps,
      evaluateEvery: steps,
      sampler: STUDY_SAMPLER_SPECS[sampler].make(k),
      progress: "none",
    });
    const end = history.at(-1)!;
    return {
      sampler,
      seed,
      eta,
      trainLoss: end.train_loss,
      forwardEquivalents: end.forward_equivalents,
    };
  } catch (error) {
    if (!(error instanceof TrainingDivergedError)) throw error;
    return { sampler, seed, eta, trainLoss: Infinity, forwardEquivalents: NaN };
  }
}

/** The tuning table, the η chosen per sampler, and the evaluation runs at those η. */
async function study(): Promise<{
  tuning: TuningRow[];
  choices: Map<string, EtaChoice>;
  evaluation: RunEnd[];
}> {
  const tuning: TuningRow[] = [];
  for (const sampler of SAMPLERS) {
    for (const eta of GRID) {
      for (const seed of TUNING_SEEDS) {
        const end = await run(sampler, seed, eta);
        tuning.push({ sampler, schedule: "constant", eta, seed, train_loss: end.trainLoss });
      }
    }
  }
  const choices = new Map(selectEta(tuning).map((c) => [c.sampler, c]));
  const evaluation: RunEnd[] = [];
  for (const seed of EVALUATION_SEEDS) {
    for (const sampler of SAMPLERS) {
      evaluation.push(await run(sampler, seed, choices.get(sampler)!.eta));
    }
  }
  return { tuning, choices, evaluation };
}

let studied: ReturnType<typeof study> | null = null;
const results = () => studied ??= study();

Deno.test("every evaluation run of the study spends the budget F to within one step's price", async () => {
  const { evaluation } = await results();
  for (const r of evaluation) {
    const { perStep } = PRICE[r.sampler];
    assert.ok(
      r.forwardEquivalents <= F && r.forwardEquivalents > F - perStep,
      `${r.sampler} seed ${r.seed}: ${r.forwardEquivalents} forward-equivalents, budget ${F}`,
    );
  }
});

/** The tuning means and evaluation losses of every sampler, for the assertion messages. */
function describe(choices: Map<string, EtaChoice>, evaluation: readonly RunEnd[]): string {
  return SAMPLERS.map((s) => {
    const c = choices.get(s)!;
    const means = c.means.map((m) => `${m.eta}: ${m.meanLoss.toPrecision(4)}`).join(", ");
    const ends = evaluation.filter((r) => r.sampler === s).map((r) =>
      `seed ${r.seed} ${r.trainLoss.toPrecision(4)}`
    ).join(", ");
    return `${s}: η = ${c.eta} (tuning means ${means}); final ${ends}`;
  }).join("\n");
}

Deno.test("each sampler's η, tuned on seeds 11 and 12, lies inside the grid 0.1–0.8, not at an edge", async () => {
  const { tuning, choices, evaluation } = await results();
  assert.equal(tuning.length, SAMPLERS.length * GRID.length * TUNING_SEEDS.length);
  for (const s of SAMPLERS) {
    const c = choices.get(s)!;
    assert.deepEqual(c.seeds, TUNING_SEEDS);
    assert.equal(c.edge, null, describe(choices, evaluation));
  }
});

Deno.test("at equal forward-equivalents on each of 3 MNIST seeds, tuned uniform ends below the best importance sampler (stale scores), and stale scores below the upper bound: the promised gain does not hold here", async () => {
  const { choices, evaluation } = await results();
  const table = describe(choices, evaluation);
  for (const seed of EVALUATION_SEEDS) {
    const loss = (s: StudySamplerId) =>
      evaluation.find((r) => r.sampler === s && r.seed === seed)!.trainLoss;
    assert.ok(
      loss("uniform") < loss("stale-scores") && loss("stale-scores") < loss("upper-bound"),
      `seed ${seed}:\n${table}`,
    );
  }
});
