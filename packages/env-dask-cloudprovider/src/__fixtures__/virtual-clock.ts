import type { Clock } from '../ecs-cluster-state.js';

/** A clock whose sleeps return at once and move its time forward, so timeouts are quick to test. */
export function virtualClock(): Required<Clock> & { elapsed(): number } {
  let time = 1_000_000;
  const start = time;
  return {
    sleep: async (milliseconds: number) => {
      time += milliseconds;
    },
    now: () => time,
    elapsed: () => time - start,
  };
}
