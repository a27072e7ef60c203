import type { TaskStateListener } from '../flow/task-runner.js';
import type { RunContext } from '../config/context.js';
import { createLogger, type Logger } from '../logging/logger.js';
import type { Storage } from '../storage/storage.js';
import { flowenvVersion } from '../version.js';
import { environmentOptionsSchema, parseOptions } from './parse-options.js';
import type { RunHandle } from './run-handle.js';
import { runFlowFromContext } from './run-flow-from-context.js';
import type { FlowRunResult } from '../flow/flow-runner.js';
import type { LifecycleHook } from './run-lifecycle.js';

// Subclasses pass their whole options object up; their own schema checks their own keys.
const baseOptionsSchema = environmentOptionsSchema.loose();

/** The environment contract version this core implements; core refuses providers built for another. */
export const ENVIRONMENT_SPECIFICATION_VERSION = 'v1';

export interface EnvironmentOptions {
  /** Routing labels: an agent runs the flow only if it has every one of them (default none). */
  labels?: Iterable<string> | null;
  /** Called before the flow runs, where it runs; if it throws, the flow does not run and onExit is not called. */
  onStart?: LifecycleHook | null;
  /** Called after the run, on success and on failure. */
  onExit?: LifecycleHook | null;
}

export interface ExecuteOptions {
  /** Parameter values for the run. */
  parameters?: Record<string, unknown>;
  /** Variables overlaid on this process's environment for storages that run flows through an env runner. */
  env?: Record<string, string>;
  /** Run context values (flow run id, …) for the run. */
  runContext?: Partial<RunContext>;
  /** Progress of each task, for runs in this process. */
  onTaskState?: TaskStateListener;
}

/** One document `execute` would submit (a Kubernetes Job, an ECS task definition, …). */
export interface RenderedDocument {
  /** What it is, for humans: "Job", "TaskDefinition", "RunTaskRequest", … */
  kind: string;
  document: unknown;
}

/** The JSON form of an environment, as the backend sees it (never credentials or spec contents). */
export interface SerializedEnvironment {
  type: string;
  __version__: string;
  labels: string[];
  [field: string]: unknown;
}

/**
 * Base class of every environment: where one run of a flow executes and how it gets there.
 * Providers extend it once (no deeper hierarchies) and override what they need.
 */
export class Environment {
  /** The serialized `type`; each provider class sets its own. */
  static readonly type: string = 'Environment';
  readonly specificationVersion: string = ENVIRONMENT_SPECIFICATION_VERSION;
  readonly labels: Set<string>;
  readonly onStart: LifecycleHook | undefined;
  readonly onExit: LifecycleHook | undefined;
  readonly logger: Logger;

  constructor(options: EnvironmentOptions = {}) {
    const parsed = parseOptions(new.target.name, baseOptionsSchema, options);
    this.labels = parsed.labels ?? new Set();
    this.onStart = parsed.onStart ?? undefined;
    this.onExit = parsed.onExit ?? undefined;
    this.logger = createLogger(`flowenv.${new.target.name}`);
  }

  /** The `type` this object serializes as: its class's own, or "CustomEnvironment" for user subclasses. */
  get type(): string {
    const constructor = this.constructor as typeof Environment;
    return Object.hasOwn(constructor, 'type') ? constructor.type : 'CustomEnvironment';
  }

  /** npm packages the runtime image must contain for this environment's runFlow. */
  get dependencies(): string[] {
    return [];
  }

  /** Creates or checks static infrastructure before execute (called once per run). */
  async setup(_storage: Storage): Promise<void> {}

  /** Makes the flow run: in this process, or by submitting something that calls runFlow elsewhere. */
  async execute(_storage: Storage, _flowLocation: string, _options?: ExecuteOptions): Promise<RunHandle | void> {}

  /**
   * Exactly what execute would submit, built without touching any cluster or cloud (empty for
   * environments that run the flow in-process).
   */
  async render(_storage: Storage, _flowLocation: string, _options?: ExecuteOptions): Promise<RenderedDocument[]> {
    return [];
  }

  /**
   * The entry point where the run executes (inside the job, task or container): loads the flow
   * from PREFECT__CONTEXT__FLOW_FILE_PATH, puts the storage's secrets into the context and runs it
   * with the configured executor, with the hooks in their 0.11 order.
   */
  async runFlow(): Promise<FlowRunResult> {
    return runFlowFromContext({ hooks: this.lifecycleHooks() });
  }

  serialize(): SerializedEnvironment {
    const type = this.type;
    const serialized: SerializedEnvironment = {
      ...this.serializedFields(),
      labels: [...this.labels].sort(),
      __version__: flowenvVersion,
      type,
    };
    if (type === 'CustomEnvironment') serialized['custom_type'] = this.constructor.name;
    return serialized;
  }

  toString(): string {
    return `<Environment: ${this.constructor.name}>`;
  }

  /** The class's safe fields for serialize() (never credentials, spec contents or hooks). */
  protected serializedFields(): Record<string, unknown> {
    return {};
  }

  protected lifecycleHooks(): { onStart: LifecycleHook | undefined; onExit: LifecycleHook | undefined; logger: Logger } {
    return { onStart: this.onStart, onExit: this.onExit, logger: this.logger };
  }
}
