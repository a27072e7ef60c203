/**
 * How many worker pods a run wants (the role of dask-kubernetes' `adapt(minimum, maximum)`): one
 * single-threaded worker per task that has not finished yet, kept between `minimum` and `maximum`.
 */
export function adaptiveTarget(unfinishedTasks: number, minimum: number, maximum: number): number {
  return Math.min(maximum, Math.max(minimum, unfinishedTasks));
}
