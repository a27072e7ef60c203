/** Label on the Job, its pod template and the per-run Secret: the run's identifier (0.11.3 key). */
export const IDENTIFIER_LABEL = 'prefect.io/identifier';

/** Label on the Job, its pod template and the per-run Secret: the flow run id (0.11.3 key). */
export const FLOW_RUN_ID_LABEL = 'prefect.io/flow_run_id';

/** Label on everything this package creates, for label-scoped clean-ups. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'flowenv';

/** The variable that carries `execute`'s parameters into the container (read back as `context.parameters`). */
export const PARAMETERS_VARIABLE = 'PREFECT__CONTEXT__PARAMETERS';

/** The variable of the API token (spec 6.2, slot 2). */
export const AUTH_TOKEN_VARIABLE = 'PREFECT__CLOUD__AUTH_TOKEN';

/** Downward-API variables of the scheduler container: its pod's name, uid and IP (the worker pods' owner and the scheduler's address). */
export const POD_NAME_VARIABLE = 'PREFECT__CONTEXT__POD_NAME';
export const POD_UID_VARIABLE = 'PREFECT__CONTEXT__POD_UID';
export const POD_IP_VARIABLE = 'PREFECT__CONTEXT__POD_IP';

/** Where `dask worker` reads the scheduler's address when given none on its command line. */
export const SCHEDULER_ADDRESS_VARIABLE = 'DASK_SCHEDULER_ADDRESS';
