// Three independent tasks that each wait a little; the last task reports how many overlapped.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'count-flow' });

let inFlight = 0;
let mostInFlight = 0;
const wait = (name: string) =>
  flow.task(name, async () => {
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 15));
    inFlight--;
  });
const a = wait('wait-a');
const b = wait('wait-b');
const c = wait('wait-c');
flow.task('most-in-flight', { upstream: { a, b, c } }, () => {
  const most = mostInFlight;
  mostInFlight = 0;
  return most;
});

export default flow;
