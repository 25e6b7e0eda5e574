/** Messages between the simulator (parent) and its containers (children), over the IPC channel. */

export interface ContainerConfig {
  index: number;
  tokenType: string;
  tableName: string;
  dynamoEndpoint: string;
  tokenUrl: string;
  apiUrl: string;
  /** Secrets travel over IPC only: never in argv or the environment, where `ps` would show them. */
  clientId: string;
  clientSecret: string;
  salts: string[];
  invocations: number;
  /** Pause between two invocations of one container. */
  thinkMs: number;
  /** Each invocation's deadline, like a Lambda's timeout. */
  invocationTimeoutMs: number;
  /** After the first invocation, report `barrier` and wait for `continue` (the rejection storm). */
  barrierAfterFirst: boolean;
  /** Hold the provider's answer until the parent says `proceed` (to freeze a holder between answer and commit). */
  holdProviderAnswer: boolean;
  manager: {
    skewMs: number;
    refreshAheadMs: number;
    leaseMs: number;
    pollInitialMs: number;
    pollMaxMs: number;
  };
}

export type ParentMessage =
  | { type: 'config'; config: ContainerConfig }
  | { type: 'go' }
  | { type: 'continue' }
  | { type: 'proceed' };

export interface ContainerResult {
  index: number;
  succeeded: number;
  failed: number;
  /** Error name -> count. */
  errors: Record<string, number>;
  /** Time spent getting the token, per invocation, ms. */
  overheadMs: number[];
  /** Longest time an invocation spent getting its token, failed ones included, ms. */
  maxOverheadMs: number;
  /** Metric name -> [sum, max]. */
  metrics: Record<string, { sum: number; max: number; count: number }>;
  providerCalls: number;
  rssBytes: number;
}

export type ChildMessage =
  | { type: 'ready'; index: number }
  | { type: 'refreshing'; index: number }
  | { type: 'answered'; index: number }
  | { type: 'barrier'; index: number }
  | { type: 'progress'; index: number; done: number }
  | { type: 'result'; result: ContainerResult };
