import { LoadtestError } from './errors.js';
import { completeDevice, kindsOf, present, type PopulationDevice, type Presentation, type PresentationKind, type PresentationMode } from './population.js';
import { seededRandom, ZipfSampler } from './zipf.js';

export interface WorkItem {
  readonly presentation: Presentation;
  /** Round-robin over --rp (http targets). */
  readonly relyingParty: string | undefined;
  /** A made-up device that no directory holds (--unknown-share). */
  readonly unknown: boolean;
}

export interface WorkloadOptions {
  readonly population: readonly PopulationDevice[];
  readonly zipf: number;
  readonly unknownShare: number;
  readonly presentation: PresentationMode;
  readonly relyingParties: readonly string[];
  readonly seed: number;
}

/**
 * The request sequence: a device drawn by Zipf popularity (rank order is a seeded shuffle of the
 * population, so "popular" does not mean "first in the file"), presented the requested way, or with
 * probability unknownShare a fresh made-up thumbprint / device ID.
 */
export class Workload {
  readonly devices: readonly PopulationDevice[];
  /** Per device (rank order), its presentations, made once so targets can key caches on them. */
  readonly #presentations: readonly (readonly Presentation[])[];
  readonly #zipf: ZipfSampler;
  readonly #random: () => number;
  readonly #options: WorkloadOptions;
  #turn = 0;

  constructor(options: WorkloadOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed);
    const usable: PopulationDevice[] = [];
    const kinds: Presentation[][] = [];
    for (const raw of options.population) {
      const device = completeDevice(raw);
      const has = kindsOf(device);
      const k = options.presentation === 'mixed' ? has : has.filter((x) => x === options.presentation);
      if (k.length === 0) continue;
      usable.push(device);
      kinds.push(k.map((kind: PresentationKind) => present(device, kind)!));
    }
    if (usable.length === 0) {
      throw new LoadtestError('DG_ERR_LOADTEST_POPULATION', `no device of the population can be presented as ${options.presentation}`);
    }
    // Seeded Fisher-Yates over the population: rank -> device.
    for (let i = usable.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [usable[i], usable[j]] = [usable[j]!, usable[i]!];
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    this.devices = usable;
    this.#presentations = kinds;
    this.#zipf = new ZipfSampler(usable.length, options.zipf, this.#random);
  }

  next(): WorkItem {
    const rps = this.#options.relyingParties;
    const relyingParty = rps.length > 0 ? rps[this.#turn++ % rps.length] : undefined;
    if (this.#options.unknownShare > 0 && this.#random() < this.#options.unknownShare) {
      return { presentation: this.#unknown(), relyingParty, unknown: true };
    }
    const rank = this.#zipf.next();
    const options = this.#presentations[rank]!;
    const presentation = options.length === 1 ? options[0]! : options[Math.floor(this.#random() * options.length)]!;
    return { presentation, relyingParty, unknown: false };
  }

  /** Certificates cannot be made up without a CA: unknown devices go as thumbprints then. */
  #unknown(): Presentation {
    const mode = this.#options.presentation;
    const asId = mode === 'deviceId' || (mode === 'mixed' && this.#random() < 0.5);
    if (asId) {
      const h = this.#hex(32);
      return { deviceId: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}` };
    }
    return { thumbprint: this.#hex(40).toUpperCase() };
  }

  #hex(n: number): string {
    let s = '';
    while (s.length < n) s += Math.floor(this.#random() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}
