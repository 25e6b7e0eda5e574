import { ConfigurationError } from '../errors/error-classes.js';

/**
 * The caller's deadline (epoch ms) from a call's options, or `now + maxWaitMs` without one.
 * A deadline in epoch seconds is refused: it would look long past and fail every call.
 */
export function callDeadline(options: { deadline?: number }, now: number, maxWaitMs: number): number {
  const { deadline } = options;
  if (deadline === undefined) return now + maxWaitMs;
  if (typeof deadline !== 'number' || !Number.isFinite(deadline)) {
    throw new ConfigurationError('getToken option "deadline" must be an epoch-milliseconds number');
  }
  // Epoch seconds are ~1.7e9, epoch ms ~1.7e12: a deadline in seconds would look long past.
  if (deadline < 1e11) {
    throw new ConfigurationError(
      'getToken option "deadline" looks like epoch seconds; pass epoch milliseconds',
    );
  }
  return deadline;
}
