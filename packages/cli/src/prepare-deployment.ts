import { LocalStorage, loadFlow, type Environment, type Flow, type Storage } from '@flowenv/core';
import { defaultEnvironment } from './load-providers.js';

export interface Deployment {
  flow: Flow;
  environment: Environment;
  storage: Storage;
  /** Where the storage keeps the flow (a path inside the image for Docker storage). */
  location: string;
}

/**
 * Loads a flow file and resolves what deploy, render and serialize work on: its environment
 * (default RemoteEnvironment), its storage (default LocalStorage) and the flow's location in it.
 * The storage's labels are added to the environment's, as 0.11 did at registration.
 */
export async function prepareDeployment(flowFile: string): Promise<Deployment> {
  const flow = await loadFlow(flowFile);
  const environment = flow.environment ?? (await defaultEnvironment());
  const storage = flow.storage ?? new LocalStorage();
  const location = storage.flows[flow.name] ?? (await storage.addFlow(flow, flow.location));
  for (const label of storage.labels) environment.labels.add(label);
  return { flow, environment, storage, location };
}
