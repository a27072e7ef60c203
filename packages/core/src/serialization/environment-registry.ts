import { FlowenvError } from '../errors/flowenv-error.js';
import { ENVIRONMENT_SPECIFICATION_VERSION, Environment } from '../environment/environment.js';
import { formatIssues } from '../environment/parse-options.js';
import { environmentSchemas, isEnvironmentType, type EnvironmentType } from './environment-schema.js';

/** What an environment class offers the registry: its type and how to rebuild from JSON fields. */
export interface SerializableEnvironmentClass {
  readonly type: string;
  /** Contract version the class was built for (default: this core's). */
  readonly specificationVersion?: string;
  fromSerialized(fields: Record<string, unknown>): Environment;
}

/** The npm package of each built-in type, for "install it" messages. */
const packageOfType: Readonly<Record<string, string>> = {
  LocalEnvironment: '@flowenv/env-local',
  RemoteEnvironment: '@flowenv/env-remote',
  RemoteDaskEnvironment: '@flowenv/env-dask-remote',
  KubernetesJobEnvironment: '@flowenv/env-k8s-job',
  DaskKubernetesEnvironment: '@flowenv/env-dask-k8s',
  FargateTaskEnvironment: '@flowenv/env-fargate',
  DaskCloudProviderEnvironment: '@flowenv/env-dask-cloudprovider',
};

const baseEnvironment: SerializableEnvironmentClass = {
  type: 'Environment',
  fromSerialized: (fields) => new Environment({ labels: fields['labels'] as string[] }),
};

export interface DeserializeOptions {
  /**
   * Lenient: an unknown or unregistered type loads as a base Environment with its labels, as
   * 0.11 loaded CustomEnvironment. Strict (default): it is an error.
   */
  lenient?: boolean;
}

/**
 * Turns serialized environments back into objects. Explicit: it knows only the classes given to
 * it (nothing registers itself at import).
 */
export class EnvironmentRegistry {
  private readonly classes = new Map<string, SerializableEnvironmentClass>([
    ['Environment', baseEnvironment],
    ['CustomEnvironment', baseEnvironment],
  ]);

  constructor(classes: Iterable<SerializableEnvironmentClass> = []) {
    for (const environmentClass of classes) this.register(environmentClass);
  }

  register(environmentClass: SerializableEnvironmentClass): this {
    const version = environmentClass.specificationVersion ?? ENVIRONMENT_SPECIFICATION_VERSION;
    if (version !== ENVIRONMENT_SPECIFICATION_VERSION) {
      throw new FlowenvError({
        code: 'SPECIFICATION_UNSUPPORTED',
        message: `${environmentClass.type} implements environment contract ${version}, but this @flowenv/core implements ${ENVIRONMENT_SPECIFICATION_VERSION}; install matching versions`,
      });
    }
    if (!isEnvironmentType(environmentClass.type)) {
      throw new FlowenvError({
        code: 'SERIALIZATION_UNSUPPORTED_TYPE',
        message: `No serialization schema for environment type "${environmentClass.type}" (known: ${Object.keys(environmentSchemas).join(', ')})`,
      });
    }
    this.classes.set(environmentClass.type, environmentClass);
    return this;
  }

  deserialize(payload: unknown, options: DeserializeOptions = {}): Environment {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw invalid(`Invalid data type: expected an object, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}`);
    }
    const { type, __version__: _ignoredVersion, ...fields } = payload as Record<string, unknown>;
    if (typeof type !== 'string' || type === '') throw invalid('`type`: Missing data for required field.');

    const environmentClass = this.classes.get(type);
    if (environmentClass === undefined || !isEnvironmentType(type)) {
      if (options.lenient) return baseEnvironment.fromSerialized(parseFields('CustomEnvironment', fields));
      throw new FlowenvError({
        code: 'SERIALIZATION_UNSUPPORTED_TYPE',
        message: `\`type\`: Unsupported value: ${type}` +
          (packageOfType[type] ? ` (install ${packageOfType[type]} and register its class with the registry)` : ''),
      });
    }
    return environmentClass.fromSerialized(parseFields(type, fields));
  }
}

function parseFields(type: EnvironmentType, fields: Record<string, unknown>): Record<string, unknown> {
  const parsed = environmentSchemas[type].safeParse(fields);
  if (!parsed.success) throw invalid(`${type}: ${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

function invalid(message: string): FlowenvError {
  return new FlowenvError({ code: 'SERIALIZATION_INVALID', message });
}
