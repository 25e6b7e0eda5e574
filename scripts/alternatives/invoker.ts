/**
 * What a simulated container runs, one invocation at a time: this project's invoker
 * (scripts/simulator/invoker.ts) and every alternative here meet the same contract, so the
 * simulator runs them alike and the benchmark compares like with like.
 */

/** What an invoker tells its container about the provider; the container forwards it to the parent. */
export interface ProviderHooks {
  /** Called when this container, holding the lease, asks the provider. */
  refreshing(): void;
  /** Called with the provider's answer in hand, before the commit; may hold it back. */
  answered(): Promise<void>;
}

export interface Invoker {
  /** Runs one invocation by `deadline` (epoch ms). */
  invoke(deadline: number): Promise<void>;
  /** Time the last invocation spent outside the base handler (getting the token), failed ones included. */
  lastOverheadMs(): number;
  /** Epoch ms when the last invocation's handler last started with a token in hand. */
  lastTokenAt(): number | null;
  /** Before the container exits: publish what the metrics still hold (a real Lambda may lose it). */
  finish?(): void;
}
