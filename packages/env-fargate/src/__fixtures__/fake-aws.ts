import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, Tag, Task, TaskDefinition } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws-clients.js';

/** One SDK call a fake client received. */
export interface RecordedCall {
  command: string;
  input: Record<string, unknown>;
}

type Handler = (input: Record<string, unknown>) => unknown;

/**
 * An in-memory ECS that behaves like moto / AWS where setup and execute can tell: task
 * definitions get revisions, ARNs and the defaults AWS fills in; RunTask starts RUNNING tasks;
 * StopTask stops them. Every call is recorded; `fail(command, error)` makes the next calls of a
 * command throw (once per queued error); `handle(command, fn)` replaces a command's behaviour.
 */
export class FakeEcs {
  readonly calls: RecordedCall[] = [];
  readonly definitions = new Map<string, { definition: TaskDefinition; tags: Tag[] }[]>();
  readonly tasks = new Map<string, Task>();
  private readonly failures = new Map<string, unknown[]>();
  private readonly handlers = new Map<string, Handler>();
  private taskCounter = 0;

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

  /** Marks a task stopped, as ECS would when its container ends. */
  stopTask(taskArn: string, facts: Partial<Task>): void {
    const task = this.tasks.get(taskArn);
    if (task === undefined) throw new Error(`no task ${taskArn}`);
    this.tasks.set(taskArn, { ...task, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', ...facts });
  }

  async send(command: { constructor: { name: string }; input: unknown }): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = structuredClone(command.input) as Record<string, unknown>;
    this.calls.push({ command: name, input });
    await Promise.resolve();
    const queued = this.failures.get(name);
    if (queued !== undefined && queued.length > 0) throw queued.shift();
    const handler = this.handlers.get(name);
    if (handler !== undefined) return handler(input);
    switch (name) {
      case 'DescribeTaskDefinition':
        return this.describeTaskDefinition(input);
      case 'RegisterTaskDefinition':
        return this.registerTaskDefinition(input as unknown as RegisterTaskDefinitionCommandInput);
      case 'RunTask':
        return this.runTask(input);
      case 'DescribeTasks':
        return { tasks: (input['tasks'] as string[]).map((arn) => this.tasks.get(arn)).filter(Boolean), failures: [] };
      case 'StopTask': {
        const arn = input['task'] as string;
        this.stopTask(arn, { stoppedReason: input['reason'] as string, stopCode: 'UserInitiated' });
        return { task: this.tasks.get(arn) };
      }
      default:
        throw new Error(`FakeEcs: unexpected ${name}`);
    }
  }

  private describeTaskDefinition(input: Record<string, unknown>): unknown {
    const family = String(input['taskDefinition']);
    const revisions = this.definitions.get(family);
    const latest = revisions?.at(-1);
    if (latest === undefined) throw clientException('Unable to describe task definition.');
    return { taskDefinition: structuredClone(latest.definition), tags: structuredClone(latest.tags) };
  }

  private registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): unknown {
    const family = input.family ?? '';
    const revisions = this.definitions.get(family) ?? [];
    const revision = revisions.length + 1;
    const { tags = [], ...rest } = structuredClone(input);
    // What moto and AWS add: ARN, revision, status, compatibilities and container defaults.
    const definition: TaskDefinition = {
      ...rest,
      taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`,
      revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      volumes: rest.volumes ?? [],
      placementConstraints: rest.placementConstraints ?? [],
      containerDefinitions: (rest.containerDefinitions ?? []).map((container: ContainerDefinition) => ({
        cpu: 0,
        portMappings: [],
        essential: true,
        mountPoints: [],
        volumesFrom: [],
        environment: [],
        ...container,
      })),
    } as TaskDefinition;
    revisions.push({ definition, tags });
    this.definitions.set(family, revisions);
    return { taskDefinition: structuredClone(definition), tags: structuredClone(tags) };
  }

  private runTask(input: Record<string, unknown>): unknown {
    const cluster = (input['cluster'] as string | undefined) ?? 'default';
    const count = (input['count'] as number | undefined) ?? 1;
    const tasks: Task[] = [];
    for (let index = 0; index < count; index++) {
      const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/${cluster}/task${++this.taskCounter}`;
      const task: Task = {
        taskArn,
        clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${cluster}`,
        taskDefinitionArn: String(input['taskDefinition']),
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        containers: [{ name: 'flow-container', lastStatus: 'PENDING' }],
      };
      this.tasks.set(taskArn, task);
      tasks.push(task);
    }
    return { tasks: structuredClone(tasks), failures: [] };
  }
}

/** In-memory CloudWatch Logs: streams of messages by group and stream name. */
export class FakeLogs {
  readonly calls: RecordedCall[] = [];
  readonly streams = new Map<string, string[]>();

  append(group: string, stream: string, ...messages: string[]): void {
    const key = `${group}\u0000${stream}`;
    this.streams.set(key, [...(this.streams.get(key) ?? []), ...messages]);
  }

  async send(command: { constructor: { name: string }; input: unknown }): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = structuredClone(command.input) as Record<string, unknown>;
    this.calls.push({ command: name, input });
    if (name !== 'GetLogEvents') throw new Error(`FakeLogs: unexpected ${name}`);
    const messages = this.streams.get(`${String(input['logGroupName'])}\u0000${String(input['logStreamName'])}`);
    if (messages === undefined) {
      throw Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' });
    }
    if (input['startFromHead'] === false) {
      const limit = (input['limit'] as number | undefined) ?? 10_000;
      return { events: messages.slice(-limit).map((message) => ({ message })), nextForwardToken: `f/${messages.length}` };
    }
    const from = input['nextToken'] === undefined ? 0 : Number(String(input['nextToken']).slice(2));
    return { events: messages.slice(from).map((message) => ({ message })), nextForwardToken: `f/${messages.length}` };
  }
}

/** Fake clients for the environment's `createClients` option. */
export function fakeClients(ecs = new FakeEcs(), logs = new FakeLogs()): AwsClients & { ecs: FakeEcs; logs: FakeLogs } {
  return { ecs, logs } as unknown as AwsClients & { ecs: FakeEcs; logs: FakeLogs };
}

/** An error shaped like the SDK's (name, message, $fault, $metadata). */
export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export function clientException(message: string): Error {
  return awsError('ClientException', message);
}
