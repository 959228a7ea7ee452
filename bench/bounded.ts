/**
 * Runs `count` asynchronous steps with at most `concurrency` of them in flight: how the workers
 * open sockets and churn handshakes without opening all of them at once.
 */
/** `start` must call `done` exactly once per step. */
export function runBounded(
  count: number,
  concurrency: number,
  start: (index: number, done: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    let inFlight = 0;
    let finished = 0;
    const launch = (): void => {
      while (inFlight < concurrency && next < count) {
        const index = next++;
        inFlight++;
        start(index, () => {
          inFlight--;
          if (++finished === count) resolve();
          else launch();
        });
      }
    };
    if (count === 0) resolve();
    else launch();
  });
}
