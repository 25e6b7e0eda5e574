/** What a command gets from its process: where to write, the environment, the time. Injected in tests. */
export interface CliIo {
  /** Writes text as is (the caller ends lines). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** The environment: the table's variable, and the AWS SDK's own (region, endpoints, credentials). */
  env: Readonly<Record<string, string | undefined>>;
  /** Epoch milliseconds. */
  now(): number;
}

/** The exit codes of every command. */
export const EXIT = {
  /** Done; for doctor, every check passed or was skipped. */
  ok: 0,
  /** An AWS call failed (status), or a check failed (doctor). */
  failed: 1,
  /** Bad usage: an unknown option, a missing value, nothing to do. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The process's own. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  now: () => Date.now(),
};
