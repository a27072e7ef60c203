import { FLOW_EXECUTE_COMMAND } from '@flowenv/core';

/**
 * The first container of every task definition flowenv registers gets this name: the run's
 * container overrides target it (0.11 forced the same name, spec 3.2).
 */
export const FLOW_CONTAINER_NAME = 'flow-container';

/** The command of the flow container: core's in-image `flowenv execute` entry point. */
export const FLOW_CONTAINER_COMMAND: readonly string[] = FLOW_EXECUTE_COMMAND;
