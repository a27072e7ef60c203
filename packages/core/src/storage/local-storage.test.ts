import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Flow } from '../flow/flow.js';
import { flowenvVersion } from '../version.js';
import { LocalStorage } from './local-storage.js';
import { hasContainerImage } from './storage.js';

const fixture = fileURLToPath(new URL('../__fixtures__/simple-flow.mjs', import.meta.url));

describe('LocalStorage', () => {
  it('labels flows with this machine hostname, as Prefect 0.11 Local storage does', () => {
    expect(new LocalStorage().labels).toEqual([hostname()]);
  });

  it('keeps each flow at its module path and loads it back', async () => {
    const storage = new LocalStorage({ secrets: ['TOKEN'] });
    const flow = new Flow({ name: 'simple-js' });
    const location = await storage.addFlow(flow, fixture);
    expect(location).toBe(fixture);
    expect(storage.flows).toEqual({ 'simple-js': fixture });
    const loaded = await storage.getFlow(location);
    expect(loaded.name).toBe('simple-js');
    expect(storage.serialize()).toEqual({ type: 'LocalStorage', flows: { 'simple-js': fixture }, secrets: ['TOKEN'], __version__: flowenvVersion });
  });

  it('uses the flow location when no path is given, and needs one', async () => {
    const storage = new LocalStorage();
    const flow = new Flow({ name: 'f' });
    await expect(storage.addFlow(flow)).rejects.toMatchObject({ code: 'STORAGE_INVALID' });
    flow.location = fixture;
    await expect(storage.addFlow(flow)).resolves.toBe(fixture);
  });

  it('refuses two flows of the same name', async () => {
    const storage = new LocalStorage();
    await storage.addFlow(new Flow({ name: 'same' }), fixture);
    await expect(storage.addFlow(new Flow({ name: 'same' }), fixture)).rejects.toThrow('Name conflict');
  });

  it('refuses a location it does not hold', async () => {
    await expect(new LocalStorage().getFlow(fixture)).rejects.toMatchObject({ code: 'FLOW_NOT_IN_STORAGE' });
  });

  it('is not a container image storage', () => {
    expect(hasContainerImage(new LocalStorage())).toBe(false);
  });
});
