/**
 * Looks at a running fleet (the `monitor` option): every `everyMs` from the moment the containers
 * go, and once more when they have all ended. The soak checks its invariants on every sample.
 */
import type { OAuthProviderStats } from '../local-stack/oauth-state.js';

/** How far one container is: invocations done and RSS at its last progress report (0 before the first). */
export interface ContainerProgress {
  done: number;
  rssBytes: number;
}

/** One look at a running fleet: what the provider issued, what the table holds, how far each container is. */
export interface SimulationSample {
  /** Epoch ms of the version read. */
  at: number;
  /** The provider's counters just before the version read (undefined with an external provider). */
  providerBefore: OAuthProviderStats | undefined;
  /** The item's `version` (consistent read around the proxy); 0 while there is no item. */
  version: number;
  /** The provider's counters just after it: what was issued by the read lies between the two. */
  providerAfter: OAuthProviderStats | undefined;
  /** The version before the containers started. */
  initialVersion: number;
  /** Per container: invocations done and RSS at its last progress report (0 before the first). */
  containers: ContainerProgress[];
  /** Invocations done by all containers. */
  done: number;
  /** The last sample, taken when every container has ended. */
  final: boolean;
}

/** Samples the running fleet every `everyMs` from the moment the containers go, and once more at the end. */
export interface SimulationMonitor {
  everyMs: number;
  /** A throw fails the run (after the containers end); to stop them at once, abort `signal`. */
  sample(sample: SimulationSample): void;
}

/** What a sample reads. */
export interface SampleSources {
  /** The local provider's counters; undefined with an external provider. */
  providerStats(): OAuthProviderStats | undefined;
  /** The item's version, read consistently around the proxy. */
  readVersion(): Promise<number>;
  initialVersion: number;
  /** Each container's last progress report, kept up to date by the fleet. */
  progress: readonly ContainerProgress[];
}

/** The sampling of one run; without a monitor, every call does nothing. */
export class FleetMonitoring {
  private sampling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly monitor: SimulationMonitor | undefined,
    private readonly sources: SampleSources,
  ) {}

  /** The containers went: sample every `everyMs` until `stop()`. */
  start(): void {
    const monitor = this.monitor;
    if (!monitor) return;
    this.sampling = this.sampleEvery(monitor);
    this.sampling.catch(() => {}); // Awaited by finish() once the fleet has ended; until then, not unhandled.
  }

  /** The fleet has ended (or failed): no sample after the current one. */
  stop(): void {
    this.stopped = true;
  }

  /** Waits for the sampling (a failed sample fails the run here), then takes the final sample. */
  async finish(): Promise<void> {
    await this.sampling;
    if (this.monitor) this.monitor.sample(await this.take(true));
  }

  /** One sample at a time. */
  private async sampleEvery(monitor: SimulationMonitor): Promise<void> {
    while (!this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, monitor.everyMs));
      if (this.stopped) return;
      monitor.sample(await this.take(false));
    }
  }

  private async take(final: boolean): Promise<SimulationSample> {
    const { sources } = this;
    const providerBefore = sources.providerStats();
    const version = await sources.readVersion();
    const containers = sources.progress.map((container) => ({ ...container }));
    const done = containers.reduce((sum, container) => sum + container.done, 0);
    const at = Date.now();
    return {
      at,
      providerBefore,
      version,
      providerAfter: sources.providerStats(),
      initialVersion: sources.initialVersion,
      containers,
      done,
      final,
    };
  }
}
