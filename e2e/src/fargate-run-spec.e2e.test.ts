// "Run the spec" (issue 7): FargateTaskEnvironment and DockerStorage end to end, with moto standing in
// for ECS and the test Docker engine standing in for Fargate. The flow is built into an image and
// pushed to the test registry; setup registers its task definition on moto and execute starts a
// task there. moto runs no container, so the suite reads back what moto holds — the REGISTERED
// container definition and the task's overrides — turns them into a Docker run spec, and runs that
// with the engine, from the registry copy of the image: the flow must end in Success. The API token
// travels only as a Secrets Manager reference, resolved here the way ECS resolves it.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  type ContainerDefinition,
  type Task,
} from '@aws-sdk/client-ecs';
import { FlowenvError, loadFlow, type RunHandle } from '@flowenv/core';
import { AUTH_TOKEN_VARIABLE, FLOW_CONTAINER_NAME, FargateTaskEnvironment, PARAMETERS_VARIABLE } from '@flowenv/env-fargate';
import { DockerStorage, imageLabel, type DockerBuildResult } from '@flowenv/storage-docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, followProgress, removeImages, runContainer } from './fixtures/docker-engine.js';
import { dockerRunSpecOfTask, motoNetwork, motoSecret } from './fixtures/moto-aws.js';
import { repositoryRoot, requireServiceEnv } from './testenv.js';

const aws = requireServiceEnv('moto', ['FLOWENV_AWS_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']);
const engine = requireServiceEnv('docker', ['DOCKER_HOST', 'FLOWENV_NODE_BASE_IMAGE']);
const registry = requireServiceEnv('registry', ['FLOWENV_REGISTRY_URL', 'FLOWENV_REGISTRY_USERNAME', 'FLOWENV_REGISTRY_PASSWORD']);
const ecs = new ECSClient({
  endpoint: aws.FLOWENV_AWS_ENDPOINT,
  region: aws.AWS_REGION,
  credentials: { accessKeyId: aws.AWS_ACCESS_KEY_ID, secretAccessKey: aws.AWS_SECRET_ACCESS_KEY },
});
const docker = dockerClient(engine.DOCKER_HOST);
const flowPath = join(repositoryRoot, 'e2e', 'src', 'fixtures', 'fargate-flow.ts');
const suiteLabel = 'fargate-run-spec';

// moto and the registry keep state for as long as they run: every name here is new.
const suffix = randomBytes(4).toString('hex');
const cluster = `flowenv-e2e-spec-${suffix}`;
const family = `flowenv-e2e-spec-${suffix}`;
const flowRunId = randomUUID();
const authToken = `flowenv-token-${randomBytes(16).toString('hex')}`;
const graphqlUrl = 'http://127.0.0.1:4200/graphql/alpha';
const executionRoleArn = 'arn:aws:iam::123456789012:role/flowenv-e2e-execution';

/** The variables this suite sets in its own process, restored afterwards. */
const processVariables = new Map<string, string | undefined>();
function setProcessVariable(name: string, value: string): void {
  if (!processVariables.has(name)) processVariables.set(name, process.env[name]);
  process.env[name] = value;
}

let secret: Awaited<ReturnType<typeof motoSecret>>;
let storage: DockerStorage;
let environment: FargateTaskEnvironment;
let location: string;
let built: DockerBuildResult;
let handle: RunHandle | undefined;
let imagesBefore: Set<string>;

async function describeTask(taskArn: string): Promise<Task> {
  const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
  const task = tasks[0];
  if (task === undefined) throw new Error(`moto has no task ${taskArn}`);
  return task;
}

async function registeredFlowContainer(taskDefinitionArn: string): Promise<ContainerDefinition> {
  const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
  const container = taskDefinition?.containerDefinitions?.find((candidate) => candidate.name === FLOW_CONTAINER_NAME);
  if (container === undefined) throw new Error(`${taskDefinitionArn} has no ${FLOW_CONTAINER_NAME}`);
  return container;
}

async function imageExists(name: string): Promise<boolean> {
  return docker.getImage(name).inspect().then(() => true, (error: { statusCode?: number }) => {
    if (error.statusCode === 404) return false;
    throw error;
  });
}

beforeAll(async () => {
  imagesBefore = new Set((await docker.listImages({ all: true })).map((image) => image.Id));
  const network = await motoNetwork(aws.FLOWENV_AWS_ENDPOINT, aws.AWS_REGION);
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  secret = await motoSecret(aws.FLOWENV_AWS_ENDPOINT, aws.AWS_REGION, `flowenv-e2e-token-${suffix}`, authToken);

  // What the fixture flow reads when it is loaded (FLOWENV_E2E_FARGATE_<name>, see fixtures/fargate-flow.ts).
  // Only loadFlow below may import it: imported earlier, it would have been built without them.
  const settings: Record<string, string> = {
    ENDPOINT: aws.FLOWENV_AWS_ENDPOINT,
    REGION: aws.AWS_REGION,
    AWS_ACCESS_KEY_ID: aws.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: aws.AWS_SECRET_ACCESS_KEY,
    FAMILY: family,
    CLUSTER: cluster,
    SUBNET: network.subnet,
    SECURITY_GROUP: network.securityGroup,
    EXECUTION_ROLE_ARN: executionRoleArn,
    AUTH_TOKEN_SECRET_ARN: secret.arn,
    REGISTRY_URL: registry.FLOWENV_REGISTRY_URL,
    REGISTRY_USERNAME: registry.FLOWENV_REGISTRY_USERNAME,
    REGISTRY_PASSWORD: registry.FLOWENV_REGISTRY_PASSWORD,
    IMAGE_NAME: `e2e/fargate-${suffix}`,
    BASE_IMAGE: engine.FLOWENV_NODE_BASE_IMAGE,
    DOCKER_HOST: engine.DOCKER_HOST,
  };
  for (const [name, value] of Object.entries(settings)) setProcessVariable(`FLOWENV_E2E_FARGATE_${name}`, value);
  // The deploying process's config (an agent's): a real token, which must never reach AWS as text.
  setProcessVariable('PREFECT__CLOUD__AUTH_TOKEN', authToken);
  setProcessVariable('PREFECT__CLOUD__GRAPHQL', graphqlUrl);

  const flow = await loadFlow(flowPath);
  if (!(flow.storage instanceof DockerStorage) || !(flow.environment instanceof FargateTaskEnvironment)) {
    throw new Error(`${flowPath} must name a DockerStorage and a FargateTaskEnvironment`);
  }
  storage = flow.storage;
  environment = flow.environment;
  location = await storage.addFlow(flow, flowPath);
  built = await storage.buildImage({ push: true });

  await environment.setup(storage);
  handle = await environment.execute(storage, location, { parameters: { who: 'Fargate' }, runContext: { flowRunId } });
});

afterAll(async () => {
  // Each step on its own: one failing must not leave the others' leftovers behind.
  const steps: (() => Promise<unknown>)[] = [
    async () => handle?.cancel(),
    async () => {
      const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
      if (taskDefinition?.taskDefinitionArn) await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinition.taskDefinitionArn }));
    },
    () => ecs.send(new DeleteClusterCommand({ cluster })),
    async () => secret?.remove(),
    async () => {
      const containers = await docker.listContainers({ all: true, filters: { label: [`org.flowenv.e2e=${suiteLabel}`] } });
      for (const container of containers) await docker.getContainer(container.Id).remove({ force: true });
    },
    async () => {
      if (built !== undefined) await removeImages(docker, [built.name]);
      // Layers of this suite's build that no tag uses any more (not anyone else's).
      const dangling = await docker.listImages({ all: true, filters: { dangling: ['true'], label: [imageLabel] } });
      await removeImages(docker, dangling.map((image) => image.Id).filter((id) => !imagesBefore.has(id)));
    },
  ];
  const failures: unknown[] = [];
  for (const step of steps) await step().catch((error: unknown) => failures.push(error));
  for (const [name, value] of processVariables) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (failures.length > 0) throw new AggregateError(failures, 'fargate-run-spec cleanup failed');
});

describe('FargateTaskEnvironment + DockerStorage: run the spec', () => {
  it('registers the flow container with the pushed image and starts a task whose overrides carry the run, the token by reference only', async () => {
    expect(built.pushed).toBe(true);
    expect(built.name).toBe(`${registry.FLOWENV_REGISTRY_URL}/e2e/fargate-${suffix}:${storage.imageTag ?? ''}`);
    expect(location).toBe('/opt/prefect/flows/fargate-run-spec.mjs');

    const task = await describeTask(handle?.id ?? '');
    expect(task.taskDefinitionArn).toMatch(new RegExp(`task-definition/${family}:1$`));
    const container = await registeredFlowContainer(task.taskDefinitionArn ?? '');
    expect(container).toMatchObject({ image: built.name, command: ['flowenv', 'execute'] });
    expect(container.secrets).toEqual([{ name: AUTH_TOKEN_VARIABLE, valueFrom: secret.arn }]);
    expect(container.environment?.map((variable) => variable.name)).not.toContain(AUTH_TOKEN_VARIABLE);

    const override = task.overrides?.containerOverrides?.find((candidate) => candidate.name === FLOW_CONTAINER_NAME);
    expect(override?.environment?.map((variable) => variable.name)).toEqual([
      'PREFECT__CONTEXT__FLOW_RUN_ID',
      'PREFECT__CONTEXT__IMAGE',
      'PREFECT__CONTEXT__FLOW_FILE_PATH',
      PARAMETERS_VARIABLE,
    ]);

    // Nothing AWS holds has the token as text: not the definition, not the task.
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn }));
    expect(JSON.stringify(taskDefinition)).not.toContain(authToken);
    expect(JSON.stringify(task)).not.toContain(authToken);
    // Without the secret's value there is nothing to run: the spec holds a reference, not the token.
    const error = await dockerRunSpecOfTask(ecs, cluster, task.taskArn ?? '').then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(FlowenvError.isInstance(error) && error.code).toBe('SECRET_NOT_FOUND');
  });

  it('runs the registered container with the task overrides, from the registry copy of the image, to Success', async () => {
    // ECS reads the container's secrets with the execution role; here the suite reads the same secret from moto.
    const spec = await dockerRunSpecOfTask(ecs, cluster, handle?.id ?? '', { [secret.arn]: await secret.read() });
    expect(spec.image).toBe(built.name);
    expect(spec.command).toEqual(['flowenv', 'execute']);
    expect(spec.env).toEqual({
      // The task definition's 6 (spec 6.4)…
      PREFECT__CLOUD__GRAPHQL: graphqlUrl,
      PREFECT__CLOUD__USE_LOCAL_SECRETS: 'false',
      PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS: '@flowenv/core#FlowRunner',
      PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS: '@flowenv/core#TaskRunner',
      PREFECT__LOGGING__LOG_TO_CLOUD: 'true',
      PREFECT__LOGGING__EXTRA_LOGGERS: '[]',
      // …the token from its secret…
      [AUTH_TOKEN_VARIABLE]: authToken,
      // …and the run's overrides (spec 3.3).
      PREFECT__CONTEXT__FLOW_RUN_ID: flowRunId,
      PREFECT__CONTEXT__IMAGE: built.name,
      PREFECT__CONTEXT__FLOW_FILE_PATH: location,
      [PARAMETERS_VARIABLE]: "{'who': 'Fargate'}",
    });

    // Fargate pulls the image from the registry: so does this run.
    await docker.getImage(built.name).remove({ force: true });
    expect(await imageExists(built.name)).toBe(false);
    const authconfig = { username: registry.FLOWENV_REGISTRY_USERNAME, password: registry.FLOWENV_REGISTRY_PASSWORD, serveraddress: registry.FLOWENV_REGISTRY_URL };
    await followProgress(docker, await docker.pull(built.name, { authconfig }));
    expect((await docker.getImage(built.name).inspect()).Id).toBe(built.imageId);

    const run = await runContainer(docker, {
      image: spec.image,
      entrypoint: spec.entrypoint,
      cmd: spec.command,
      env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
      workingDir: spec.workingDirectory,
      user: spec.user,
      suite: suiteLabel,
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`Hello, Fargate! (image ${built.name})`);
    expect(run.stdout).toMatch(/who\s+Success\s+1\s+"Fargate"/);
    expect(run.stdout).toMatch(/greeting\s+Success\s+1\s+"Hello, Fargate!"/);
    expect(run.stdout).toMatch(new RegExp(`flow-run-id\\s+Success\\s+1\\s+"${flowRunId}"`));
    expect(run.stdout).toMatch(/report\s+Success\s+1\s+15/);
    expect(run.stdout).toMatch(/Flow "fargate-run-spec": Success in \d+(\.\d+)? m?s — 4 Success/);
    expect(run.stdout + run.stderr).not.toContain(authToken);
  });

  it('stops the moto task', async () => {
    await handle?.cancel();
    expect((await describeTask(handle?.id ?? '')).lastStatus).toBe('STOPPED');
  });
});
