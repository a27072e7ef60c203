// A flow whose storage declares the secret API_KEY; its task returns the value the run context got.
import { Flow, LocalStorage, currentRunContext } from '@flowenv/core';

const flow = new Flow({ name: 'secret', storage: new LocalStorage({ secrets: ['API_KEY'] }) });
flow.task('read', () => currentRunContext().secrets['API_KEY'] ?? null);

export default flow;
