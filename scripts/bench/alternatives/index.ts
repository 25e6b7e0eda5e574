/**
 * What users would build instead of this project, run by the same simulated containers
 * against the same local stack, so the benchmark compares like with like.
 */
import type { Invoker, ProviderHooks } from '../../simulator/invoker.js';
import type { ContainerConfig } from '../../simulator/protocol.js';

export function createAlternativeInvoker(config: ContainerConfig, _hooks: ProviderHooks): Promise<Invoker> {
  throw new Error(`strategy "${config.strategy}" is not implemented yet`);
}
