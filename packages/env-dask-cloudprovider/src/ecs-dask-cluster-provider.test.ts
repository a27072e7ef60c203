import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { awsError, FakeAws } from './__fixtures__/fake-aws.js';
import { quietLogger } from './__fixtures__/quiet-logger.js';
import { virtualClock } from './__fixtures__/virtual-clock.js';
import { EcsDaskClusterProvider, type BuiltInProviderName } from './ecs-dask-cluster-provider.js';
import { generateTemporaryCertificates, writeCertificateFiles } from './temporary-certificates.js';

const none = { tasks: 0, clusters: 0, taskDefinitions: 0, securityGroups: 0, roles: 0, logGroups: 0, secrets: 0 };

interface RegisteredContainer {
  name: string;
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
}

/** The containers of every RegisterTaskDefinition request, by container name. */
function registeredContainers(aws: FakeAws): Map<string, RegisteredContainer> {
  const containers = aws.inputsOf('RegisterTaskDefinition').flatMap((input) => input['containerDefinitions'] as RegisteredContainer[]);
  return new Map(containers.map((container) => [container.name, container]));
}

/** The run's one secret, parsed. */
function onlySecret(aws: FakeAws): { arn: string; name: string; value: { ca: string; certificate: string; privateKey: string }; tags: unknown } {
  const entries = [...aws.secrets.entries()];
  expect(entries).toHaveLength(1);
  const [arn, secret] = entries[0] as [string, { name: string; secretString: string; tags: unknown }];
  return { arn, name: secret.name, value: JSON.parse(secret.secretString) as { ca: string; certificate: string; privateKey: string }, tags: secret.tags };
}

function setup(options: Record<string, unknown> = {}, name: BuiltInProviderName = 'FargateCluster') {
  const aws = new FakeAws();
  const clock = virtualClock();
  const logger = quietLogger();
  const provider = new EcsDaskClusterProvider(name, clock);
  const providerOptions = { image: 'registry.example/flow:1', regionName: 'eu-west-1', pollIntervalMs: 1_000, createClients: () => aws.clients, nWorkers: 2, ...options };
  const create = () => provider.create(providerOptions, { runId: 'run-42', logger });
  return { aws, clock, logger, provider, create };
}

async function rejection(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('EcsDaskClusterProvider', () => {
  it('creates everything that is missing, runs the scheduler, finds its address on its network interface, runs the workers', async () => {
    const { aws, provider, create } = setup({ taskRolePolicyArns: ['arn:aws:iam::123456789012:policy/read'] });
    const cluster = await create();

    expect(cluster.schedulerAddress).toMatch(/^tls:\/\/10\.0\.0\.\d+:8786$/);
    expect(cluster.dashboardUrl).toBe(cluster.schedulerAddress.replace('tls://', 'http://').replace(':8786', ':8787'));
    expect(aws.live()).toEqual({ tasks: 3, clusters: 1, taskDefinitions: 2, securityGroups: 1, roles: 2, logGroups: 1, secrets: 1 });
    // Everything run-scoped carries the run's tag.
    expect([...aws.roles.values()].map((role) => role.tags)).toEqual([expect.arrayContaining([{ Key: 'flowenv:run', Value: 'run-42' }]), expect.arrayContaining([{ Key: 'flowenv:run', Value: 'run-42' }])]);
    expect(aws.inputsOf('RunTask').every((input) => (input['tags'] as unknown[]).some((tag) => JSON.stringify(tag) === '{"key":"flowenv:run","value":"run-42"}'))).toBe(true);
    // The address was read from DescribeTasks, not from logs.
    expect(aws.count('GetLogEvents')).toBe(0);
    expect(provider.workerTaskArns).toHaveLength(2);
    expect(aws.inputsOf('RunTask')[1]).toMatchObject({ count: 2, overrides: { containerOverrides: [{ name: 'dask-worker', command: expect.arrayContaining([cluster.schedulerAddress]) }] } });
    expect(aws.inputsOf('RunTask')[0]).toMatchObject({ networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], assignPublicIp: 'DISABLED' } } });
    // The policy attached to the task role; the execution role got its own narrow inline policy.
    expect([...aws.roles.values()].map((role) => [[...role.inline], [...role.attached]])).toEqual(expect.arrayContaining([[['flowenv-dask-execution'], []], [[], ['arn:aws:iam::123456789012:policy/read']]]));

    // The executor's TLS files are the temporary certificates the tasks get, through the run's secret.
    const security = cluster.security as { caFile: string; certFile: string; keyFile: string };
    const secret = onlySecret(aws);
    expect(secret.value).toEqual({ ca: readFileSync(security.caFile, 'utf8'), certificate: readFileSync(security.certFile, 'utf8'), privateKey: readFileSync(security.keyFile, 'utf8') });
    expect(secret.name).toMatch(/^flowenv\/dask\/run-42\/flowenv-dask-[0-9a-f]{8}$/);
    expect(secret.tags).toContainEqual({ Key: 'flowenv:run', Value: 'run-42' });
    expect(registeredContainers(aws).get('dask-scheduler')?.secrets).toContainEqual({ name: 'DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY', valueFrom: `${secret.arn}:privateKey::` });
    expect(registeredContainers(aws).get('dask-worker')?.secrets).toContainEqual({ name: 'DASK_DISTRIBUTED__COMM__TLS__CA_FILE', valueFrom: `${secret.arn}:ca::` });
    // The execution role (which ECS uses to read `secrets`) may read exactly this secret.
    const policy = JSON.parse(String(aws.inputsOf('PutRolePolicy')[0]?.['PolicyDocument'])) as { Statement: { Sid: string; Action: unknown; Resource: unknown }[] };
    expect(policy.Statement.find((statement) => statement.Sid === 'ReadTlsSecret')).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: secret.arn });
    expect(new X509Certificate(readFileSync(security.certFile, 'utf8')).checkIssued(new X509Certificate(readFileSync(security.caFile, 'utf8')))).toBe(true);

    await provider.close();
    expect(aws.live()).toEqual(none);
    expect(existsSync(security.caFile)).toBe(false);
    expect(provider.resources).toEqual([]);
    await provider.close(); // idempotent
  });

  it('keeps the private key out of every RunTask request, task definition and log line', async () => {
    const { aws, logger, provider, create } = setup();
    const cluster = await create();
    await provider.adapt(3, 3);
    const privateKey = readFileSync((cluster.security as { keyFile: string }).keyFile, 'utf8');
    const keyBody = privateKey.split('\n')[1] as string;
    await provider.close();
    const sent = JSON.stringify([...aws.inputsOf('RunTask'), ...aws.inputsOf('RegisterTaskDefinition'), ...[...aws.definitions.values()].map((definition) => definition.input)]);
    const logged = logger.lines.join('\n');
    for (const text of [sent, logged]) {
      expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
      expect(text).not.toContain(keyBody);
    }
    expect(aws.inputsOf('RunTask')).toHaveLength(3);
    // Only the secret carried it, and the secret is gone without a recovery window.
    expect(aws.inputsOf('CreateSecret')[0]?.['SecretString']).toContain(JSON.stringify(privateKey).slice(1, -1));
    expect(aws.inputsOf('DeleteSecret')).toEqual([{ SecretId: expect.stringContaining(':secret:flowenv/dask/run-42/'), ForceDeleteWithoutRecovery: true }]);
    expect(aws.live()).toEqual(none);
  });

  it('creates no task role without taskRolePolicyArns, and nothing you gave it but the secret and the definitions that name it', async () => {
    const { aws, provider, create } = setup({
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/given',
      subnets: ['subnet-x'],
      securityGroups: ['sg-given'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      logGroupName: '/etl/dask',
    });
    await create();
    expect(aws.live()).toEqual({ ...none, tasks: 3, taskDefinitions: 2, secrets: 1 });
    expect(aws.count('DescribeVpcs') + aws.count('DescribeSubnets') + aws.count('CreateCluster') + aws.count('CreateRole') + aws.count('CreateLogGroup') + aws.count('CreateSecurityGroup')).toBe(0);
    await provider.close();
    // The definitions name the run's secret: no other run can use them, so they go with it (skipCleanup or not).
    expect(aws.live()).toEqual(none);
    expect(aws.count('DeregisterTaskDefinition')).toBe(2);
  });

  it('registers each run its own task definitions (they name its secret) without looking for one to reuse', async () => {
    const shared = { clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/given', subnets: ['subnet-x'], securityGroups: ['sg-given'], executionRoleArn: 'arn:aws:iam::123456789012:role/exec', logGroupName: '/etl/dask' };
    const first = setup(shared);
    await first.create();
    await first.provider.close();
    const second = new EcsDaskClusterProvider('FargateCluster', virtualClock());
    await second.create({ image: 'registry.example/flow:1', regionName: 'eu-west-1', createClients: () => first.aws.clients, ...shared }, { runId: 'run-43', logger: quietLogger() });
    await second.close();
    expect(first.aws.count('RegisterTaskDefinition')).toBe(4);
    expect(first.aws.count('DescribeTaskDefinition')).toBe(0);
    expect(new Set(first.aws.inputsOf('CreateSecret').map((input) => input['Name'])).size).toBe(2);
    expect(first.aws.live()).toEqual(none);
  });

  it('with skipCleanup: false deregisters the definitions it registered', async () => {
    const { aws, provider, create } = setup({ executionRoleArn: 'arn:aws:iam::123456789012:role/exec', logGroupName: '/etl/dask', skipCleanup: false });
    await create();
    await provider.close();
    expect(aws.count('DeregisterTaskDefinition')).toBe(2);
    expect(aws.live()).toEqual(none);
  });

  it('adapt starts workers up to the minimum and stops the newest down to the maximum (0 allowed)', async () => {
    const { aws, provider, create } = setup({ nWorkers: 1 });
    await create();
    await provider.adapt(3, 5);
    expect(provider.workerTaskArns).toHaveLength(3);
    expect(aws.inputsOf('RunTask').at(-1)).toMatchObject({ count: 2, clientToken: expect.stringMatching(/-workers-1-0$/) });
    const newest = provider.workerTaskArns.at(-1);
    await provider.adapt(0, 1);
    expect(provider.workerTaskArns).toHaveLength(1);
    expect(aws.inputsOf('StopTask').map((input) => input['task'])).toContain(newest);
    await provider.adapt(0, 0);
    expect(provider.workerTaskArns).toHaveLength(0);
    await provider.adapt(1, 1);
    expect(provider.workerTaskArns).toHaveLength(1);
    await expect(provider.adapt(2, 1)).rejects.toThrow('expected 0 <= minimum <= maximum');
    await provider.close();
    expect(aws.live()).toEqual(none);
    await expect(provider.adapt(1, 1)).rejects.toThrow('no running cluster');
  });

  describe('a failure at any point of creation removes what was created and reports the failure', () => {
    const failurePoints: [string, (aws: FakeAws) => void][] = [
      ['DescribeVpcs', (aws) => aws.fail('DescribeVpcs', awsError('UnauthorizedOperation', 'not allowed', 403))],
      ['CreateSecret', (aws) => aws.fail('CreateSecret', awsError('AccessDeniedException', 'not allowed: secretsmanager:CreateSecret', 400))],
      ['CreateSecret answer lost', (aws) => aws.handle('CreateSecret', (input) => {
        (aws as unknown as { onCreateSecret(input: unknown): unknown }).onCreateSecret(input);
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      })],
      ['CreateCluster', (aws) => aws.fail('CreateCluster', awsError('AccessDeniedException', 'no', 403))],
      ['CreateLogGroup', (aws) => aws.fail('CreateLogGroup', awsError('LimitExceededException', 'too many'))],
      ['CreateRole', (aws) => aws.fail('CreateRole', awsError('AccessDenied', 'no', 403))],
      ['PutRolePolicy', (aws) => aws.fail('PutRolePolicy', awsError('MalformedPolicyDocument', 'bad'))],
      ['AttachRolePolicy', (aws) => aws.fail('AttachRolePolicy', awsError('NoSuchEntityException', 'Policy does not exist', 404))],
      ['CreateSecurityGroup', (aws) => aws.fail('CreateSecurityGroup', awsError('InvalidVpcID.NotFound', 'no vpc'))],
      ['AuthorizeSecurityGroupIngress', (aws) => aws.fail('AuthorizeSecurityGroupIngress', awsError('RulesPerSecurityGroupLimitExceeded', 'too many'))],
      ['RegisterTaskDefinition', (aws) => aws.fail('RegisterTaskDefinition', awsError('ClientException', 'Invalid cpu'))],
      ['scheduler RunTask', (aws) => aws.fail('RunTask', awsError('InvalidParameterException', 'No Fargate configuration exists'))],
      ['scheduler stops before running', (aws) => aws.handle('DescribeTasks', (input) => {
        for (const arn of input['tasks'] as string[]) aws.crashTask(arn, { stoppedReason: 'CannotPullContainerError: image not found', stopCode: 'TaskFailedToStart' });
        return { tasks: (input['tasks'] as string[]).map((arn) => aws.tasks.get(arn)?.task) };
      })],
      ['worker RunTask', (aws) => {
        let runs = 0;
        aws.handle('RunTask', (input) => {
          if (++runs === 2) throw awsError('InvalidParameterException', 'The subnet has no free IP addresses');
          return (aws as unknown as { onRunTask(input: unknown): unknown }).onRunTask(input);
        });
      }],
      ['worker RunTask failures', (aws) => {
        let runs = 0;
        aws.handle('RunTask', (input) => {
          const result = (aws as unknown as { onRunTask(input: unknown): { tasks: unknown[] } }).onRunTask(input);
          return ++runs === 2 ? { tasks: result.tasks.slice(0, 1), failures: [{ reason: 'RESOURCE:ENI' }] } : result;
        });
      }],
    ];

    for (const [point, inject] of failurePoints) {
      it(`${point}`, async () => {
        const { aws, provider, create } = setup({ taskRolePolicyArns: ['arn:aws:iam::123456789012:policy/read'] });
        inject(aws);
        const error = await rejection(create());
        expect(error.message.length).toBeGreaterThan(10);
        expect(aws.live()).toEqual(none);
        expect(provider.resources).toEqual([]);
        await provider.close();
        expect(aws.live()).toEqual(none);
      });
    }

    it('reports a scheduler that stopped with its reason and its last log lines', async () => {
      const { aws, create } = setup();
      aws.handle('DescribeTasks', (input) => {
        for (const arn of input['tasks'] as string[]) {
          aws.crashTask(arn, { stoppedReason: 'Essential container in task exited', containers: [{ name: 'dask-scheduler', exitCode: 1 }] });
          const group = [...aws.logGroups.keys()][0];
          aws.logStreams.set(`${group} scheduler/dask-scheduler/${arn.split('/').pop()}`, ['Traceback (most recent call last):', 'ModuleNotFoundError: No module named distributed']);
        }
        return { tasks: (input['tasks'] as string[]).map((arn) => aws.tasks.get(arn)?.task) };
      });
      const error = await rejection(create());
      expect(error.code).toBe('DASK_CLUSTER_FAILED');
      expect(error.message).toContain('The Dask scheduler task stopped before running');
      expect(error.message).toContain('Essential container in task exited; dask-scheduler: exit code 1');
      expect(error.message).toContain('ModuleNotFoundError: No module named distributed');
      expect(aws.live()).toEqual(none);
    });

    it('times out with a clear error when the scheduler never runs', async () => {
      const { aws, clock, create } = setup({ schedulerTimeoutMs: 60_000 });
      aws.describesToRun = Number.POSITIVE_INFINITY;
      const error = await rejection(create());
      expect(error.code).toBe('DASK_CLUSTER_TIMEOUT');
      expect(error.message).toMatch(/did not get an address and run within 60000 ms\. Raise schedulerTimeoutMs/);
      expect(clock.elapsed()).toBeGreaterThanOrEqual(60_000);
      expect(aws.live()).toEqual(none);
    });
  });

  it('retries RunTask while a role created for the run is not yet usable (IAM propagation)', async () => {
    const { aws, provider, create } = setup();
    aws.fail('RunTask', awsError('ClientException', 'ECS was unable to assume the role \'arn:aws:iam::1:role/x\' that was provided for this task.'));
    await create();
    expect(aws.count('RunTask')).toBe(3); // failed + scheduler + workers
    await provider.close();
  });

  it('waits for stopped tasks to release the security group (DependencyViolation) before deleting it', async () => {
    const { aws, provider, create } = setup();
    await create();
    let refusals = 0;
    aws.handle('DeleteSecurityGroup', (input) => {
      if (++refusals <= 2) throw awsError('DependencyViolation', 'resource sg has a dependent object');
      aws.securityGroups.delete(String(input['GroupId']));
      return {};
    });
    await provider.close();
    expect(refusals).toBe(3);
    expect(aws.live()).toEqual(none);
  });

  it('reports what it could not remove, keeps it, and removes it on the next close', async () => {
    const { aws, provider, create } = setup();
    await create();
    aws.fail('DeleteRole', awsError('AccessDenied', 'User is not authorized to perform: iam:DeleteRole', 403));
    const error = await rejection(provider.close());
    expect(error.code).toBe('DASK_CLUSTER_TEARDOWN_FAILED');
    expect(error.message).toMatch(/1 resource\(s\) could not be removed \(tagged flowenv:run=run-42.*IAM role flowenv-dask-[0-9a-f]{8}-execution: .*iam:DeleteRole was denied/);
    expect(aws.live()).toEqual({ ...none, roles: 1 });
    expect(provider.resources.map((resource) => resource.kind)).toEqual(['iam-role']);
    await provider.close();
    expect(aws.live()).toEqual(none);
  });

  it('stops tasks it started but never recorded (found by startedBy)', async () => {
    const { aws, provider, create } = setup({ nWorkers: 1 });
    await create();
    // A worker started by a RunTask whose answer was lost.
    aws.handle('RunTask', (input) => (aws as unknown as { onRunTask(input: unknown): unknown }).onRunTask(input));
    const orphan = ((await aws.clients.ecs.send({ constructor: { name: 'RunTaskCommand' }, input: aws.inputsOf('RunTask')[1] } as never)) as { tasks: { taskArn: string }[] }).tasks[0]?.taskArn;
    await provider.close();
    expect(aws.inputsOf('StopTask').map((input) => input['task'])).toContain(orphan);
    expect(aws.live()).toEqual(none);
  });

  it('uses the public IP of the scheduler\'s interface with assignPublicIp', async () => {
    const { aws, provider, create } = setup({ assignPublicIp: true });
    aws.publicIp = '203.0.113.7';
    expect((await create()).schedulerAddress).toBe('tls://203.0.113.7:8786');
    await provider.close();
  });

  it('passes your TLS files\' contents to the tasks through the run\'s secret and gives the executor your files', async () => {
    const files = await writeCertificateFiles(generateTemporaryCertificates());
    const security = { caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile };
    const { aws, provider, create } = setup({ security });
    const cluster = await create();
    expect(cluster.security).toEqual({ ...security, requireEncryption: true });
    const secret = onlySecret(aws);
    expect(secret.value.privateKey).toBe(readFileSync(files.keyFile, 'utf8'));
    expect(registeredContainers(aws).get('dask-worker')?.secrets).toContainEqual({ name: 'DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY', valueFrom: `${secret.arn}:privateKey::` });
    expect(JSON.stringify(aws.inputsOf('RunTask'))).not.toContain('PRIVATE KEY');
    await provider.close();
    expect(aws.live()).toEqual(none);
    expect(existsSync(files.caFile)).toBe(true); // yours: not deleted
    await files.remove();
  });

  it('checks its options when creating, naming the field', async () => {
    expect((await rejection(setup({ nWorkers: -1 }).create())).message).toContain('FargateCluster: invalid provider options: `nWorkers`');
    expect((await rejection(setup({ image: undefined }).create())).message).toContain('`image`: the scheduler and workers need an image');
    expect((await rejection(setup({ unknownKey: 1 }).create())).message).toContain('Unrecognized key: "unknownKey"');
    expect((await rejection(setup({}, 'ECSCluster').create())).message).toContain('ECSCluster runs on the EC2 capacity of an existing cluster');
    expect((await rejection(setup({ awsAccessKeyId: 'AKIAEXAMPLE' }).create())).code).toBe('AWS_CREDENTIALS_INVALID');
  });

  it('runs ECSCluster tasks on EC2 in your cluster', async () => {
    const { aws, provider, create } = setup({ clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/given' }, 'ECSCluster');
    await create();
    expect(aws.inputsOf('RunTask').map((input) => input['launchType'])).toEqual(['EC2', 'EC2']);
    expect(aws.count('CreateCluster')).toBe(0);
    await provider.close();
    expect(aws.live()).toEqual(none);
  });

  it('refuses a second create on the same instance', async () => {
    const { provider, create } = setup();
    await create();
    await expect(create()).rejects.toThrow('use a new provider for each cluster');
    await provider.close();
  });
});
