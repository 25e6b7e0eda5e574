/**
 * Parent side of the simulated scheduled refresher: forks the one child that runs it, starts
 * it, and at the end stops it and collects what it did and printed.
 */
import { forkLambdaProcess } from './lambda-process.js';
import type { ChildMessage, ContainerConfig, ParentMessage, RefresherResult } from './protocol.js';

export interface RefresherProcess {
  /** Resolves once the refresher has loaded its handler and started its schedule. */
  started: Promise<void>;
  /** Stops the schedule after the current run; resolves with its tally. */
  stop(): Promise<RefresherResult>;
  kill(): void;
  /** Everything it printed to stdout (its EMF metrics and summary lines) and to stderr. */
  stdout(): string;
  output(): string;
}

export function forkRefresher(script: string, config: ContainerConfig): RefresherProcess {
  const stdout: string[] = [];
  const output: string[] = [];
  const child = forkLambdaProcess(script, { stdout, output });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const message = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      child.on('message', (received: ChildMessage) => {
        if (received.type === type) resolve(received as Extract<ChildMessage, { type: T }>);
      });
      void exited.then((code) => reject(new Error(`the refresher exited (${code}) before "${type}"`)));
    });
  const send = (sent: ParentMessage): void => {
    if (child.connected) child.send(sent);
  };
  const ready = message('ready');
  const result = message('refresher-result');
  result.catch(() => {});
  send({ type: 'config', config });
  return {
    started: ready.then(() => send({ type: 'go' })),
    async stop() {
      send({ type: 'stop' });
      const { result: tally } = await result;
      await exited;
      return tally;
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    stdout: () => stdout.join(''),
    output: () => output.join(''),
  };
}
