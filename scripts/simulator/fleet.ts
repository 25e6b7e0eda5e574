/**
 * The fleet: one child process per simulated container, started together, driven through the
 * protocol (protocol.ts) until each has sent its result. It carries out the process-level faults
 * (SIGKILL a holder mid-refresh, SIGSTOP one between answer and commit) and the barrier at which
 * every container is warm.
 */
import type { ChildProcess } from 'node:child_process';
import type { DynamoProxy } from '../local-stack/dynamo-proxy.js';
import { containerConfig, type FleetConfig } from './fleet-config.js';
import type { ContainerProgress } from './fleet-monitor.js';
import { forkLambdaProcess, type OutputSinks } from './lambda-process.js';
import type { ChildMessage, ContainerResult, ParentMessage } from './protocol.js';
import type { SimulationSettings } from './simulation-options.js';

/** What the run does at the fleet's moments. */
export interface FleetEvents {
  /** Before the containers load their code (a cold start must meet the fault too); awaited. */
  beforeStart(): Promise<void>;
  /** Every container has done its first invocation; they resume when this returns. */
  afterWarm(): void;
  /** Every container is ready and has been told to go. */
  went(): void;
}

export interface FleetOutcome {
  results: ContainerResult[];
  killed: number;
  /** Everything the containers wrote to stdout and stderr. */
  output: string;
  /** Their stdout alone: the Powertools EMF documents are there. */
  stdout: string;
  /** Epoch ms of each `refreshing` message: a lease holder asked the provider. */
  refreshingAt: number[];
  /** Epoch ms when the holder was SIGKILLed (killHolder). */
  killedAt: number | undefined;
}

/** Forks the containers, starts them together, collects their results. */
export async function runFleet(
  script: string,
  settings: SimulationSettings,
  config: FleetConfig,
  proxy: DynamoProxy,
  events: FleetEvents,
  /** Each container's last progress report, kept up to date here: the monitor's samples read it. */
  progress: ContainerProgress[],
): Promise<FleetOutcome> {
  return new Fleet(settings, events, progress).run(script, config, proxy);
}

class Fleet {
  private readonly children: ChildProcess[] = [];
  private readonly results: ContainerResult[] = [];
  private readonly sinks: OutputSinks = { stdout: [], output: [] };
  private readonly refreshingAt: number[] = [];
  private killed = 0;
  private killedAt: number | undefined;
  private frozen = 0;
  private atBarrier = 0;
  private providerCalls = 0;

  constructor(
    private readonly settings: SimulationSettings,
    private readonly events: FleetEvents,
    private readonly progress: ContainerProgress[],
  ) {}

  async run(script: string, config: FleetConfig, proxy: DynamoProxy): Promise<FleetOutcome> {
    const { settings } = this;
    await this.events.beforeStart();
    const ready: Promise<void>[] = [];
    const exits: Promise<void>[] = [];
    for (let index = 0; index < settings.containers; index++) {
      const child = forkLambdaProcess(script, this.sinks);
      this.children.push(child);
      exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
      ready.push(this.listen(child, index));
      child.send({
        type: 'config',
        config: containerConfig(config, settings, index),
      } satisfies ParentMessage);
    }
    const killAll = (): void => {
      for (const child of this.children) child.kill('SIGKILL');
    };
    const timer = setTimeout(killAll, settings.timeoutMs);
    settings.signal?.addEventListener('abort', killAll, { once: true });
    try {
      await Promise.all(ready);
      proxy.reset(); // Count only what the invocations do, not the start-up.
      for (const child of this.children) child.send({ type: 'go' } satisfies ParentMessage);
      this.events.went();
      await Promise.all(exits);
      settings.signal?.throwIfAborted();
    } finally {
      settings.signal?.removeEventListener('abort', killAll);
      clearTimeout(timer);
      for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    }
    return this.outcome();
  }

  /** Follows one container's messages; resolves when it is ready, rejects when it exits before. */
  private listen(child: ChildProcess, index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`container ${index} exited (${code}) before it was ready`)),
      );
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'result') this.results.push(message.result);
        else if (message.type === 'progress') this.onProgress(index, message);
        else if (message.type === 'barrier') this.onBarrier();
        else if (message.type === 'answered') this.onAnswered(child);
        else if (message.type === 'refreshing') this.onRefreshing(child, message.at);
      });
    });
  }

  private onProgress(index: number, message: Extract<ChildMessage, { type: 'progress' }>): void {
    this.progress[index] = { done: message.done, rssBytes: message.rssBytes ?? 0 };
    this.settings.onProgress?.(
      this.progress.reduce((sum, container) => sum + container.done, 0),
      this.settings.containers * this.settings.invocations,
      this.providerCalls,
    );
  }

  /**
   * Everybody holds the same token now: the moment for faults of warm containers (e.g. revoke it,
   * so all of them reject one version at once).
   */
  private onBarrier(): void {
    if (++this.atBarrier !== this.settings.containers - this.killed) return;
    const release = () => {
      this.events.afterWarm();
      for (const child of this.children) {
        if (child.connected) child.send({ type: 'continue' } satisfies ParentMessage);
      }
    };
    if (this.settings.restAtBarrierMs > 0) setTimeout(release, this.settings.restAtBarrierMs);
    else release();
  }

  /** A holder has the provider's answer: freeze the first one (freezeHolderMs), let every other commit. */
  private onAnswered(child: ChildProcess): void {
    const proceed = () => child.connected && child.send({ type: 'proceed' } satisfies ParentMessage);
    if (this.settings.freezeHolderMs > 0 && this.frozen++ === 0) {
      child.kill('SIGSTOP');
      setTimeout(() => {
        child.kill('SIGCONT');
        proceed();
      }, this.settings.freezeHolderMs);
    } else {
      proceed();
    }
  }

  /** A holder asks the provider: SIGKILL the first one mid-refresh (killHolder). */
  private onRefreshing(child: ChildProcess, at: number): void {
    this.providerCalls++;
    this.refreshingAt.push(at);
    if (this.settings.killHolder && this.killed === 0) {
      this.killed++;
      this.killedAt = Date.now();
      child.kill('SIGKILL');
    }
  }

  private outcome(): FleetOutcome {
    const { results, killed, settings } = this;
    if (results.length + killed < settings.containers) {
      throw new Error(
        `${settings.containers - results.length - killed} container(s) ended without a result (timeout or crash)`,
      );
    }
    return {
      results,
      killed,
      output: this.sinks.output.join(''),
      stdout: this.sinks.stdout.join(''),
      refreshingAt: this.refreshingAt,
      killedAt: this.killedAt,
    };
  }
}
