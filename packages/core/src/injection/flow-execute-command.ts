/**
 * The command every containerized environment gives its flow container: the in-image `flowenv
 * execute` entry point (images built by DockerStorage put `flowenv` on PATH). It reads
 * PREFECT__CONTEXT__FLOW_FILE_PATH, loads the flow module and calls `flow.environment.runFlow()` —
 * the role of 0.11's `/bin/sh -c "python -c 'import prefect; …run_flow()'"`. One constant, so the
 * Kubernetes, Dask and ECS providers and the images agree.
 */
export const FLOW_EXECUTE_COMMAND: readonly string[] = Object.freeze(['flowenv', 'execute']);
