/**
 * Splits each invocation's time in two: the base handler's (the API call) and the rest, which
 * is what getting the token cost. Shared by this project's invoker and the alternatives', so
 * the benchmark measures both the same way.
 */
export class InvocationTimer {
  private inHandlerMs = 0;
  private overheadMs = 0;
  private tokenAt: number | null = null;

  /** Wraps the base handler: each call starts with a token in hand. */
  timeHandler<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      this.tokenAt = Date.now();
      const started = performance.now();
      try {
        return await handler(...args);
      } finally {
        this.inHandlerMs += performance.now() - started;
      }
    };
  }

  /** Runs one invocation; its overhead is recorded also when it throws. */
  async measure(run: () => Promise<unknown>): Promise<void> {
    this.inHandlerMs = 0;
    this.tokenAt = null;
    const started = performance.now();
    try {
      await run();
    } finally {
      this.overheadMs = performance.now() - started - this.inHandlerMs;
    }
  }

  lastOverheadMs(): number {
    return this.overheadMs;
  }

  /** Epoch ms when the last invocation's handler last started with a token in hand. */
  lastTokenAt(): number | null {
    return this.tokenAt;
  }
}
