export interface ParameterOptions<T> {
  /** Value used when the run does not give one. Without it, the parameter is required. */
  default?: T;
  /** Require a value even when a default exists (default: required only without a default). */
  required?: boolean;
}

export interface ParameterDefinition {
  readonly name: string;
  readonly required: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
}
