// Loads on the host, throws when loaded from an image's /opt folder: the health check must catch it.
import { Flow } from '@flowenv/core';

if (import.meta.url.startsWith('file:///opt/')) throw new Error('this flow cannot load inside the image');

const flow = new Flow({ name: 'fails-in-image' });
flow.task('never', () => 'unreachable');

export default flow;
