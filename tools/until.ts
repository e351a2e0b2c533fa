// Polling wait for states that no event announces (a counter in another process); for tests, bench and chaos.

/** Polls `condition` every 20 ms; for states no event announces (a counter in another process). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
