// FargateTaskEnvironment: AWS API calls per run on the warm path, counted with SDK middleware
// against moto (tools/testenv/up moto), and how many task definition + RunTask request renders
// per second the pure builders do.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateClusterCommand, DeleteClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import { setLogLevel } from '@flowenv/core';
import {
  buildRunTaskRequest,
  buildTaskDefinition,
  clearTaskDefinitionCache,
  createAwsClients,
  FargateTaskEnvironment,
} from '@flowenv/env-fargate';
import { median, report } from './report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testenv = Object.fromEntries(
  readFileSync(join(root, '.testenv', 'env'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
for (const name of ['FLOWENV_AWS_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
  if (!testenv[name]) throw new Error(`${name} is missing from .testenv/env: run tools/testenv/up moto`);
}
const endpoint = testenv.FLOWENV_AWS_ENDPOINT;
const region = testenv.AWS_REGION;
const credentials = { accessKeyId: testenv.AWS_ACCESS_KEY_ID, secretAccessKey: testenv.AWS_SECRET_ACCESS_KEY };

/** moto's default subnet and security group (its RunTask needs real ones); EC2 query API, no SDK client here. */
async function motoNetwork() {
  const query = async (action) => {
    const response = await globalThis.fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: `Action=${action}&Version=2016-11-15`,
    });
    return response.text();
  };
  return {
    subnet: /<subnetId>([^<]+)<\/subnetId>/.exec(await query('DescribeSubnets'))[1],
    securityGroup: /<groupId>([^<]+)<\/groupId>/.exec(await query('DescribeSecurityGroups'))[1],
  };
}

const calls = new Map();
function countingClients(settings) {
  const clients = createAwsClients(settings);
  for (const client of [clients.ecs, clients.logs]) {
    client.middlewareStack.add((next, context) => async (args) => {
      calls.set(context.commandName, (calls.get(context.commandName) ?? 0) + 1);
      return next(args);
    }, { step: 'initialize', name: 'benchCallCounter' });
  }
  return clients;
}
const callsOf = (command) => calls.get(`${command}Command`) ?? 0;

setLogLevel('warn'); // one "Started ECS task" line per run is noise here
const suffix = randomUUID().slice(0, 8);
const cluster = `flowenv-bench-${suffix}`;
const family = `flowenv-bench-${suffix}`;
const ecs = new ECSClient({ endpoint, region, credentials });
await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
const network = await motoNetwork();

const options = {
  endpoint,
  regionName: region,
  awsAccessKeyId: credentials.accessKeyId,
  awsSecretAccessKey: credentials.secretAccessKey,
  family,
  cluster,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: 256,
  memory: 512,
  containerDefinitions: [
    {
      memory: 512,
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/flowenv/bench', 'awslogs-region': region, 'awslogs-stream-prefix': 'flow' } },
    },
  ],
  networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnet], securityGroups: [network.securityGroup] } },
  createClients: countingClients,
};
const storage = {
  type: 'DockerStorage',
  name: 'registry.example/flow:1',
  labels: [],
  secrets: [],
  flows: {},
  addFlow: async () => '/opt/prefect/flows/flow.mjs',
  getFlow: async () => {
    throw new Error('inside the image');
  },
  build: async () => {},
  serialize: () => ({ type: 'DockerStorage' }),
};

/** One agent-started run: a new environment object, setup, execute; the calls it made. */
async function oneRun({ newProcess }) {
  if (newProcess) clearTaskDefinitionCache();
  calls.clear();
  const environment = new FargateTaskEnvironment(options);
  await environment.setup(storage);
  const handle = await environment.execute(storage, '/opt/prefect/flows/flow.mjs', { runContext: { flowRunId: randomUUID() } });
  const counted = { register: callsOf('RegisterTaskDefinition'), describe: callsOf('DescribeTaskDefinition'), runTask: callsOf('RunTask') };
  await handle.cancel();
  return counted;
}

try {
  await oneRun({ newProcess: true }); // cold: registers the family's first revision
  // Warm, as each run happens in practice: a new process (empty cache), the family already registered.
  const warm = [];
  for (let run = 0; run < 5; run++) warm.push(await oneRun({ newProcess: true }));
  const inProcess = [];
  for (let run = 0; run < 5; run++) inProcess.push(await oneRun({ newProcess: false }));
  const worst = (runs, key) => Math.max(...runs.map((run) => run[key]));
  report('fargate.warm.register_calls', worst(warm, 'register'), 'calls/run (max of 5)', '0');
  report('fargate.warm.describe_calls', worst(warm, 'describe'), 'calls/run (max of 5, new process)', '<=1');
  report('fargate.warm.runtask_calls', worst(warm, 'runTask'), 'calls/run (max of 5)', '1');
  report('fargate.warm_in_process.describe_calls', worst(inProcess, 'describe'), 'calls/run (max of 5, same process)', '0');
} finally {
  await ecs.send(new DeleteClusterCommand({ cluster })).catch(() => {});
}

// Pure builders: the task definition and the RunTask request of one run, as render and execute build them.
const definitionOptions = {
  family,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  executionRoleArn: 'arn:aws:iam::123456789012:role/flowenv-execution',
  containerDefinitions: [
    {
      memory: 512,
      environment: [{ name: 'MY_SETTING', value: 'x' }],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/flowenv/bench', 'awslogs-region': region, 'awslogs-stream-prefix': 'flow' } },
    },
    { name: 'sidecar', image: 'envoyproxy/envoy:v1.30', essential: false },
  ],
  tags: [{ key: 'team', value: 'data' }],
};
const runOptions = { cluster, networkConfiguration: options.networkConfiguration, tags: definitionOptions.tags };
const definitionInput = {
  image: storage.name,
  graphqlUrl: 'http://localhost:4200/graphql/alpha',
  extraLoggers: ['my_logger'],
  authTokenSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-token',
};
const runInput = {
  family,
  launchType: 'FARGATE',
  image: storage.name,
  flowFilePath: '/opt/prefect/flows/flow.mjs',
  flowRunId: 'run-id',
  authToken: '',
  agentAuthToken: '',
  authTokenSecretArn: definitionInput.authTokenSecretArn,
};
function rendersPerSecond(durationMs) {
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let index = 0; index < 200; index++) {
      const definition = buildTaskDefinition(definitionOptions, definitionInput);
      const request = buildRunTaskRequest(runOptions, runInput);
      if (definition.containerDefinitions.length !== 2 || request.overrides === undefined) throw new Error('bad render');
    }
    count += 200;
    elapsed = performance.now() - started;
  }
  return (count / elapsed) * 1000;
}
rendersPerSecond(300); // warm-up
report('fargate.render.per_s', median([rendersPerSecond(1000), rendersPerSecond(1000), rendersPerSecond(1000)]), 'renders/s', '>=10000');
