import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKubeConfigYaml } from './__fixtures__/local-kubeconfig.js';
import { createKubernetesApi } from './create-kubernetes-api.js';
import type { KubernetesApi, WatchEvent } from './kubernetes-api.js';
import { KubernetesRequestError } from './kubernetes-request-error.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let api: KubernetesApi;
const received: Received[] = [];
let respond: (request: Received, response: ServerResponse) => void = (_request, response) => response.end('{}');

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      respond(entry, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(localKubeConfigYaml((server.address() as AddressInfo).port, { namespace: 'flows' }));
  api = createKubernetesApi(kubeConfig);
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const json = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

describe('createKubernetesApi', () => {
  it("knows the server and the context's namespace", () => {
    expect(api.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.contextNamespace).toBe('flows');
  });

  it('sends the Job exactly as built (no field dropped), authenticated, and returns the stored Job', async () => {
    received.length = 0;
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { futureJobField: { x: 1 }, template: { spec: { containers: [{ name: 'flow', image: 'i', futureContainerField: true }] } } } };
    respond = (request, response) => json(response, 201, { ...JSON.parse(request.body), metadata: { name: 'j', uid: 'u-1' } });
    const created = await api.createJob('flows', job as V1Job);
    expect(created.metadata?.uid).toBe('u-1');
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/apis/batch/v1/namespaces/flows/jobs');
    expect(request?.headers['authorization']).toBe('Bearer test-token');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toBe(JSON.stringify(job));
  });

  it('throws answers outside 2xx as KubernetesRequestError with the Status', async () => {
    respond = (_request, response) => json(response, 409, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', message: 'jobs.batch "j" already exists', code: 409 });
    const error = await api.readJob('flows', 'j').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesRequestError);
    expect(error).toMatchObject({ code: 409, status: { reason: 'AlreadyExists' }, message: 'GET /apis/batch/v1/namespaces/flows/jobs/j: HTTP 409: jobs.batch "j" already exists' });
  });

  it('lists with selectors, deletes with a propagation policy, patches with a merge patch', async () => {
    received.length = 0;
    respond = (_request, response) => json(response, 200, { kind: 'PodList', metadata: { resourceVersion: '77' }, items: [] });
    expect((await api.listPods('flows', { labelSelector: 'prefect.io/identifier=abc' })).metadata?.resourceVersion).toBe('77');
    respond = (_request, response) => json(response, 200, { kind: 'Status', status: 'Success' });
    await api.deleteJob('flows', 'j', 'Foreground');
    await api.patchSecret('flows', 's', { metadata: { ownerReferences: [] } });
    expect(received.map((request) => `${request.method} ${decodeURIComponent(request.url)}`)).toEqual([
      'GET /api/v1/namespaces/flows/pods?labelSelector=prefect.io/identifier=abc',
      'DELETE /apis/batch/v1/namespaces/flows/jobs/j',
      'PATCH /api/v1/namespaces/flows/secrets/s',
    ]);
    expect(JSON.parse(received[1]?.body ?? '')).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    expect(received[2]?.headers['content-type']).toBe('application/merge-patch+json');
  });

  it('streams watch events line by line until the server ends the watch', async () => {
    received.length = 0;
    respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'p', resourceVersion: '5' } } })}\n`);
      response.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } })}\n{"type":"MODI`);
      setTimeout(() => response.end(`FIED","object":{"metadata":{"name":"p","resourceVersion":"10"}}}\n`), 20);
    };
    const events: WatchEvent<V1Pod>[] = [];
    for await (const event of api.watchPods('flows', { labelSelector: 'a=b', resourceVersion: '4', timeoutSeconds: 30, allowWatchBookmarks: true }, new AbortController().signal)) events.push(event);
    expect(events.map((event) => `${event.type}:${(event.object as V1Pod).metadata?.resourceVersion}`)).toEqual(['ADDED:5', 'BOOKMARK:9', 'MODIFIED:10']);
    expect(decodeURIComponent(received[0]?.url ?? '')).toBe('/api/v1/namespaces/flows/pods?watch=true&labelSelector=a=b&resourceVersion=4&timeoutSeconds=30&allowWatchBookmarks=true');
  });

  it('stops a watch when the signal aborts', async () => {
    respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'p' } } })}\n`);
    };
    const controller = new AbortController();
    const events: unknown[] = [];
    for await (const event of api.watchJobs('flows', {}, controller.signal)) {
      events.push(event);
      controller.abort();
    }
    expect(events).toHaveLength(1);
  });

  it('reads and follows container logs', async () => {
    received.length = 0;
    respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('Flow run RUNNING\nTask a');
      setTimeout(() => response.end(': Success\nlast line without newline'), 20);
    };
    const lines: string[] = [];
    for await (const line of api.followPodLog('flows', 'p', 'flow', new AbortController().signal)) lines.push(line);
    expect(lines).toEqual(['Flow run RUNNING', 'Task a: Success', 'last line without newline']);
    expect(await api.readPodLog('flows', 'p', 'flow', { tailLines: 5 })).toBe('Flow run RUNNING\nTask a: Success\nlast line without newline');
    expect(received.map((request) => request.url)).toEqual(['/api/v1/namespaces/flows/pods/p/log?container=flow&follow=true', '/api/v1/namespaces/flows/pods/p/log?container=flow&tailLines=5']);
  });

  it('reports a refused connection with its code', async () => {
    const kubeConfig = new KubeConfig();
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    kubeConfig.loadFromString(localKubeConfigYaml(port));
    await expect(createKubernetesApi(kubeConfig).readJob('flows', 'j')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
