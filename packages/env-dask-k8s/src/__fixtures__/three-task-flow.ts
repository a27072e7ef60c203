// Three independent tasks, each calling the function the test put on globalThis.flowenvK8sBody.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'three-tasks' });
for (const name of ['a', 'b', 'c']) {
  flow.task(name, async () => {
    await (globalThis as { flowenvK8sBody?: () => Promise<void> | void }).flowenvK8sBody?.();
    return name;
  });
}

export default flow;
