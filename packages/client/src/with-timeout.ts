// Bounds how long a caller waits for a promise (an enqueue, a token request, a health check).

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * Settles as `promise` does, or rejects after `ms` with the error `timedOut` makes (by default a
 * TimeoutError saying `what` did not answer). The promise itself is left to settle on its own.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, timedOut: string | (() => Error)): Promise<T> {
  const makeError = typeof timedOut === 'string' ? () => new TimeoutError(`${timedOut} did not answer within ${ms} ms`) : timedOut;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(makeError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
