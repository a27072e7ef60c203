import type { Task } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws-clients.js';

/** One SDK call a fake client received. */
export interface RecordedCall {
  service: 'ecs' | 'ec2' | 'iam' | 'logs' | 'secrets';
  command: string;
  input: Record<string, unknown>;
}

type Handler = (input: Record<string, unknown>) => unknown;

/** An error shaped like the SDK's (name, message, $fault, $metadata). */
export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

interface FakeTask {
  task: Task;
  /** DescribeTasks calls this task has seen. */
  describes: number;
  securityGroups: string[];
}

/**
 * ECS, EC2, IAM, CloudWatch Logs and Secrets Manager in memory, behaving like AWS where the provider can tell:
 * tasks start PROVISIONING and move one state per DescribeTasks (to RUNNING, with a private IP on
 * their network interface); stopped tasks reach STOPPED on the next DescribeTasks; a security
 * group used by a task that is not STOPPED cannot be deleted (DependencyViolation); deleting what
 * is gone fails as AWS does. Every call is recorded; `fail(command, …errors)` makes the next calls
 * of a command throw; `handle(command, fn)` replaces its behaviour.
 */
export class FakeAws {
  readonly calls: RecordedCall[] = [];
  readonly clusters = new Map<string, { status: string; tags: unknown }>();
  readonly definitions = new Map<string, { family: string; revision: number; status: string; input: Record<string, unknown>; tags: unknown[] }>();
  readonly tasks = new Map<string, FakeTask>();
  readonly securityGroups = new Map<string, { name: string; vpcId: string; ingress: unknown[]; tags: unknown }>();
  readonly roles = new Map<string, { arn: string; inline: Set<string>; attached: Set<string>; tags: unknown }>();
  readonly logGroups = new Map<string, { tags: unknown }>();
  readonly logStreams = new Map<string, string[]>();
  /** Secrets by ARN. */
  readonly secrets = new Map<string, { name: string; secretString: string; tags: unknown }>();
  /** DescribeTasks calls a new task needs to reach RUNNING (PENDING before that); 0: RUNNING at once. */
  describesToRun = 2;
  /** Public IP of network interfaces (none by default, as with assignPublicIp off). */
  publicIp: string | undefined;
  private readonly failures = new Map<string, unknown[]>();
  private readonly handlers = new Map<string, Handler>();
  private counter = 0;

  readonly clients: AwsClients = {
    ecs: { send: (command: unknown) => this.send('ecs', command) } as unknown as AwsClients['ecs'],
    ec2: { send: (command: unknown) => this.send('ec2', command) } as unknown as AwsClients['ec2'],
    iam: { send: (command: unknown) => this.send('iam', command) } as unknown as AwsClients['iam'],
    logs: { send: (command: unknown) => this.send('logs', command) } as unknown as AwsClients['logs'],
    secrets: { send: (command: unknown) => this.send('secrets', command) } as unknown as AwsClients['secrets'],
  };

  fail(command: string, ...errors: unknown[]): this {
    this.failures.set(command, [...(this.failures.get(command) ?? []), ...errors]);
    return this;
  }

  handle(command: string, handler: Handler): this {
    this.handlers.set(command, handler);
    return this;
  }

  count(command: string): number {
    return this.calls.filter((call) => call.command === command).length;
  }

  inputsOf(command: string): Record<string, unknown>[] {
    return this.calls.filter((call) => call.command === command).map((call) => call.input);
  }

  /** The order of commands, e.g. to check what ran before what. */
  commands(): string[] {
    return this.calls.map((call) => call.command);
  }

  /** Marks a task as stopped by ECS itself (its container exited), with reasons. */
  crashTask(taskArn: string, facts: Partial<Task>): void {
    const entry = this.tasks.get(taskArn);
    if (entry === undefined) throw new Error(`no task ${taskArn}`);
    entry.task = { ...entry.task, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', ...facts };
  }

  /** What still exists: tasks not STOPPED, ACTIVE clusters and definitions, groups, roles, log groups, secrets. */
  live(): Record<string, number> {
    return {
      tasks: [...this.tasks.values()].filter((entry) => entry.task.lastStatus !== 'STOPPED').length,
      clusters: [...this.clusters.values()].filter((cluster) => cluster.status === 'ACTIVE').length,
      taskDefinitions: [...this.definitions.values()].filter((definition) => definition.status === 'ACTIVE').length,
      securityGroups: this.securityGroups.size,
      roles: this.roles.size,
      logGroups: this.logGroups.size,
      secrets: this.secrets.size,
    };
  }

  private async send(service: RecordedCall['service'], command: unknown): Promise<unknown> {
    const { constructor, input: rawInput } = command as { constructor: { name: string }; input: unknown };
    const name = constructor.name.replace(/Command$/, '');
    const input = structuredClone(rawInput) as Record<string, unknown>;
    this.calls.push({ service, command: name, input });
    await Promise.resolve();
    const queued = this.failures.get(name);
    if (queued !== undefined && queued.length > 0) throw queued.shift();
    const handler = this.handlers.get(name);
    if (handler !== undefined) return handler(input);
    const method = (this as unknown as Record<string, Handler | undefined>)[`on${name}`];
    if (typeof method !== 'function') throw new Error(`FakeAws: unexpected ${service} ${name}`);
    return method.call(this, input);
  }

  // ECS
  protected onCreateCluster(input: Record<string, unknown>): unknown {
    const arn = `arn:aws:ecs:us-east-1:123456789012:cluster/${String(input['clusterName'])}`;
    this.clusters.set(arn, { status: 'ACTIVE', tags: input['tags'] });
    return { cluster: { clusterArn: arn, clusterName: input['clusterName'], status: 'ACTIVE' } };
  }

  protected onDeleteCluster(input: Record<string, unknown>): unknown {
    const arn = String(input['cluster']);
    const cluster = this.clusters.get(arn);
    if (cluster === undefined || cluster.status !== 'ACTIVE') throw awsError('ClusterNotFoundException', 'Cluster not found.');
    if ([...this.tasks.values()].some((entry) => entry.task.clusterArn === arn && entry.task.lastStatus !== 'STOPPED')) {
      throw awsError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
    }
    cluster.status = 'INACTIVE';
    return { cluster: { clusterArn: arn, status: 'INACTIVE' } };
  }

  protected onRegisterTaskDefinition(input: Record<string, unknown>): unknown {
    const family = String(input['family']);
    const revision = [...this.definitions.values()].filter((definition) => definition.family === family).length + 1;
    const arn = `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
    const { tags = [], ...rest } = input as { tags?: unknown[] };
    this.definitions.set(arn, { family, revision, status: 'ACTIVE', input: rest, tags });
    return { taskDefinition: this.describedDefinition(arn), tags };
  }

  protected onDescribeTaskDefinition(input: Record<string, unknown>): unknown {
    const wanted = String(input['taskDefinition']);
    const matches = [...this.definitions.entries()].filter(([arn, definition]) => arn === wanted || (definition.family === wanted && definition.status === 'ACTIVE'));
    const latest = matches.at(-1);
    if (latest === undefined) throw awsError('ClientException', 'Unable to describe task definition.');
    return { taskDefinition: this.describedDefinition(latest[0]), tags: latest[1].tags };
  }

  protected onDeregisterTaskDefinition(input: Record<string, unknown>): unknown {
    const definition = this.definitions.get(String(input['taskDefinition']));
    if (definition === undefined) throw awsError('ClientException', 'The specified task definition does not exist.');
    definition.status = 'INACTIVE';
    return { taskDefinition: this.describedDefinition(String(input['taskDefinition'])) };
  }

  protected onRunTask(input: Record<string, unknown>): unknown {
    const cluster = String(input['cluster']);
    if (this.clusters.get(cluster)?.status !== 'ACTIVE' && !cluster.includes('given')) throw awsError('ClusterNotFoundException', 'Cluster not found.');
    const definition = String(input['taskDefinition']);
    if (this.definitions.get(definition)?.status !== 'ACTIVE') throw awsError('ClientException', 'TaskDefinition is inactive');
    const network = (input['networkConfiguration'] as { awsvpcConfiguration: { securityGroups: string[] } }).awsvpcConfiguration;
    const tasks: Task[] = [];
    for (let index = 0; index < Number(input['count'] ?? 1); index++) {
      const id = `task${++this.counter}`;
      const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/${cluster.split('/').pop()}/${id}`;
      const task: Task = {
        taskArn,
        clusterArn: cluster,
        taskDefinitionArn: definition,
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        startedBy: input['startedBy'] as string,
        containers: [{ name: (input['overrides'] as { containerOverrides: { name: string }[] }).containerOverrides[0]?.name, lastStatus: 'PENDING' }],
        attachments: [{ type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [{ name: 'subnetId', value: 'subnet-1' }] }],
      };
      const entry: FakeTask = { task, describes: 0, securityGroups: [...network.securityGroups] };
      this.tasks.set(taskArn, entry);
      // describesToRun 0: RUNNING straight away, as moto answers.
      if (this.describesToRun === 0) this.advance(entry);
      tasks.push(structuredClone(entry.task));
    }
    return { tasks, failures: [] };
  }

  protected onDescribeTasks(input: Record<string, unknown>): unknown {
    const tasks: Task[] = [];
    for (const arn of input['tasks'] as string[]) {
      const entry = this.tasks.get(arn);
      if (entry === undefined) continue;
      this.advance(entry);
      tasks.push(structuredClone(entry.task));
    }
    return { tasks, failures: [] };
  }

  protected onStopTask(input: Record<string, unknown>): unknown {
    const entry = this.tasks.get(String(input['task']));
    if (entry === undefined) throw awsError('InvalidParameterException', 'The referenced task was not found.');
    entry.task = { ...entry.task, desiredStatus: 'STOPPED', stoppedReason: input['reason'] as string, stopCode: 'UserInitiated' };
    if (entry.task.lastStatus !== 'STOPPED') entry.task.lastStatus = 'DEACTIVATING';
    return { task: structuredClone(entry.task) };
  }

  protected onListTasks(input: Record<string, unknown>): unknown {
    const taskArns = [...this.tasks.values()]
      .filter((entry) => entry.task.clusterArn === input['cluster'] && (input['startedBy'] === undefined || entry.task.startedBy === input['startedBy']))
      .filter((entry) => input['desiredStatus'] === undefined || entry.task.desiredStatus === input['desiredStatus'])
      .map((entry) => entry.task.taskArn as string);
    return { taskArns };
  }

  // EC2
  protected onDescribeVpcs(): unknown {
    return { Vpcs: [{ VpcId: 'vpc-default', IsDefault: true }] };
  }

  protected onDescribeSubnets(input: Record<string, unknown>): unknown {
    if (input['SubnetIds'] !== undefined) return { Subnets: (input['SubnetIds'] as string[]).map((SubnetId) => ({ SubnetId, VpcId: 'vpc-of-subnet' })) };
    return { Subnets: [{ SubnetId: 'subnet-b', VpcId: 'vpc-default' }, { SubnetId: 'subnet-a', VpcId: 'vpc-default' }] };
  }

  protected onCreateSecurityGroup(input: Record<string, unknown>): unknown {
    const id = `sg-${++this.counter}`;
    this.securityGroups.set(id, { name: String(input['GroupName']), vpcId: String(input['VpcId']), ingress: [], tags: input['TagSpecifications'] });
    return { GroupId: id };
  }

  protected onAuthorizeSecurityGroupIngress(input: Record<string, unknown>): unknown {
    const group = this.securityGroups.get(String(input['GroupId']));
    if (group === undefined) throw awsError('InvalidGroup.NotFound', `The security group '${String(input['GroupId'])}' does not exist`);
    group.ingress.push(...(input['IpPermissions'] as unknown[]));
    return { Return: true };
  }

  protected onDeleteSecurityGroup(input: Record<string, unknown>): unknown {
    const id = String(input['GroupId']);
    if (!this.securityGroups.has(id)) throw awsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    if ([...this.tasks.values()].some((entry) => entry.securityGroups.includes(id) && entry.task.lastStatus !== 'STOPPED')) {
      throw awsError('DependencyViolation', 'resource has a dependent object');
    }
    this.securityGroups.delete(id);
    return {};
  }

  protected onDescribeNetworkInterfaces(input: Record<string, unknown>): unknown {
    return { NetworkInterfaces: (input['NetworkInterfaceIds'] as string[]).map((id) => ({ NetworkInterfaceId: id, ...(this.publicIp ? { Association: { PublicIp: this.publicIp } } : {}) })) };
  }

  // IAM
  protected onCreateRole(input: Record<string, unknown>): unknown {
    const name = String(input['RoleName']);
    if (this.roles.has(name)) throw awsError('EntityAlreadyExistsException', `Role with name ${name} already exists.`, 409);
    const arn = `arn:aws:iam::123456789012:role${String(input['Path'] ?? '/')}${name}`;
    this.roles.set(name, { arn, inline: new Set(), attached: new Set(), tags: input['Tags'] });
    return { Role: { RoleName: name, Arn: arn } };
  }

  protected onPutRolePolicy(input: Record<string, unknown>): unknown {
    this.role(input).inline.add(String(input['PolicyName']));
    return {};
  }

  protected onAttachRolePolicy(input: Record<string, unknown>): unknown {
    this.role(input).attached.add(String(input['PolicyArn']));
    return {};
  }

  protected onDeleteRolePolicy(input: Record<string, unknown>): unknown {
    if (!this.role(input).inline.delete(String(input['PolicyName']))) throw awsError('NoSuchEntityException', 'The role policy was not found.', 404);
    return {};
  }

  protected onDetachRolePolicy(input: Record<string, unknown>): unknown {
    if (!this.role(input).attached.delete(String(input['PolicyArn']))) throw awsError('NoSuchEntityException', 'Policy was not found.', 404);
    return {};
  }

  protected onDeleteRole(input: Record<string, unknown>): unknown {
    const role = this.role(input);
    if (role.inline.size > 0 || role.attached.size > 0) throw awsError('DeleteConflictException', 'Cannot delete entity, must delete policies first.', 409);
    this.roles.delete(String(input['RoleName']));
    return {};
  }

  // CloudWatch Logs
  protected onCreateLogGroup(input: Record<string, unknown>): unknown {
    const name = String(input['logGroupName']);
    if (this.logGroups.has(name)) throw awsError('ResourceAlreadyExistsException', 'The specified log group already exists');
    this.logGroups.set(name, { tags: input['tags'] });
    return {};
  }

  protected onDeleteLogGroup(input: Record<string, unknown>): unknown {
    if (!this.logGroups.delete(String(input['logGroupName']))) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return {};
  }

  protected onGetLogEvents(input: Record<string, unknown>): unknown {
    const lines = this.logStreams.get(`${String(input['logGroupName'])} ${String(input['logStreamName'])}`);
    if (lines === undefined) throw awsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return { events: lines.slice(-Number(input['limit'] ?? 10_000)).map((message) => ({ message })) };
  }

  // Secrets Manager
  protected onCreateSecret(input: Record<string, unknown>): unknown {
    const name = String(input['Name']);
    if ([...this.secrets.values()].some((secret) => secret.name === name)) throw awsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${String(++this.counter).padStart(6, 'x')}`;
    this.secrets.set(arn, { name, secretString: String(input['SecretString']), tags: input['Tags'] });
    return { ARN: arn, Name: name };
  }

  protected onDeleteSecret(input: Record<string, unknown>): unknown {
    const id = String(input['SecretId']);
    const arn = [...this.secrets.entries()].find(([key, secret]) => key === id || secret.name === id)?.[0];
    if (arn === undefined) throw awsError('ResourceNotFoundException', 'Secrets Manager can\'t find the specified secret.');
    this.secrets.delete(arn);
    return { ARN: arn };
  }

  private role(input: Record<string, unknown>) {
    const role = this.roles.get(String(input['RoleName']));
    if (role === undefined) throw awsError('NoSuchEntityException', `The role with name ${String(input['RoleName'])} cannot be found.`, 404);
    return role;
  }

  private describedDefinition(arn: string): Record<string, unknown> {
    const definition = this.definitions.get(arn);
    if (definition === undefined) throw new Error(`no definition ${arn}`);
    // What AWS adds: ARN, revision, status, compatibilities, container defaults.
    return {
      ...structuredClone(definition.input),
      taskDefinitionArn: arn,
      revision: definition.revision,
      status: definition.status,
      compatibilities: ['EC2', 'FARGATE'],
      containerDefinitions: (definition.input['containerDefinitions'] as Record<string, unknown>[]).map((container) => ({
        cpu: 0, mountPoints: [], volumesFrom: [], ...structuredClone(container),
      })),
    };
  }

  private advance(entry: FakeTask): void {
    const { task } = entry;
    if (task.desiredStatus === 'STOPPED') {
      entry.task = { ...task, lastStatus: 'STOPPED', containers: task.containers?.map((container) => ({ ...container, lastStatus: 'STOPPED' })) };
      return;
    }
    if (task.lastStatus === 'RUNNING' || task.lastStatus === 'STOPPED') return;
    entry.describes++;
    const next = entry.describes >= this.describesToRun ? 'RUNNING' : 'PENDING';
    const index = [...this.tasks.keys()].indexOf(task.taskArn as string) + 1;
    entry.task = {
      ...task,
      lastStatus: next,
      attachments: [{
        type: 'ElasticNetworkInterface',
        status: 'ATTACHED',
        details: [
          { name: 'subnetId', value: 'subnet-1' },
          { name: 'networkInterfaceId', value: `eni-${index}` },
          { name: 'privateIPv4Address', value: `10.0.0.${index}` },
        ],
      }],
    };
  }
}
