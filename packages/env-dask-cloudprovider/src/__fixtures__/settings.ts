import type { ClusterIdentity } from '../cluster-identity.js';
import { resolveEcsClusterSettings, type EcsClusterSettings, type LaunchType } from '../ecs-cluster-options.js';

/** A fixed cluster identity, so builder output is stable. */
export const identity: ClusterIdentity = { runId: 'run-0001', name: 'flowenv-dask-0a1b2c3d' };

/** Settings with the defaults applied over `options` (image given). */
export function settingsOf(options: Record<string, unknown> = {}, launchType: LaunchType = 'FARGATE'): EcsClusterSettings {
  return resolveEcsClusterSettings({ image: 'registry.example/flow:1', ...options }, launchType);
}

/** Short, recognisable stand-ins for PEM text (no PEM armour, so no golden file looks like it holds a key). */
export const tls = { ca: '<CA certificate>\n', certificate: '<certificate>\n', privateKey: '<private key>\n' };
