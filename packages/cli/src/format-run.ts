import type { FlowRunResult, TaskState } from '@flowenv/core';

const symbols: Record<string, string> = {
  Success: '✔',
  Failed: '✖',
  TimedOut: '⏱',
  UpstreamFailed: '↷',
  Retrying: '↻',
  Running: '…',
};

/** One progress line for a task state change, or undefined for states not worth a line. */
export function formatTaskProgress(taskName: string, state: TaskState): string | undefined {
  if (state.state === 'Running' || state.state === 'Pending') return undefined;
  const took = state.startedAt !== undefined && state.finishedAt !== undefined ? ` (${formatDuration(state.finishedAt - state.startedAt)})` : '';
  const detail = state.state === 'Success' ? '' : state.message ? `: ${state.message}` : '';
  return `${symbols[state.state] ?? ' '} ${state.state.padEnd(14)} ${taskName}${took}${detail}`;
}

/**
 * The final summary: a table of tasks (every task that did not succeed, plus the first
 * successful ones up to `maxRows`) and one line with the totals and the flow's state.
 */
export function formatRunSummary(result: FlowRunResult, maxRows = 20): string {
  const entries = Object.entries(result.tasks);
  const notOk = entries.filter(([, state]) => state.state !== 'Success');
  const ok = entries.filter(([, state]) => state.state === 'Success');
  const shown = [...notOk, ...ok].slice(0, Math.max(maxRows, notOk.length));
  const rows = shown.map(([name, state]) => [name, state.state, String(state.attempts), summarizeResult(state)]);
  const header = ['task', 'state', 'attempts', 'result / error'];
  const widths = header.map((title, column) => Math.min(48, Math.max(title.length, ...rows.map((row) => (row[column] as string).length))));
  const line = (cells: string[]): string => cells.map((cell, column) => truncate(cell, widths[column] as number).padEnd(widths[column] as number)).join('  ').trimEnd();
  const counts = new Map<string, number>();
  for (const [, state] of entries) counts.set(state.state, (counts.get(state.state) ?? 0) + 1);
  const totals = [...counts].map(([state, count]) => `${count} ${state}`).join(', ');
  const hidden = entries.length - shown.length;
  return [
    line(header),
    line(widths.map((width) => '─'.repeat(width))),
    ...rows.map(line),
    ...(hidden > 0 ? [`… and ${hidden} more successful tasks`] : []),
    '',
    `Flow "${result.flowName}": ${result.state} in ${formatDuration(result.finishedAt - result.startedAt)} — ${totals || 'no tasks'}`,
  ].join('\n');
}

function summarizeResult(state: TaskState): string {
  if (state.state === 'Success') return JSON.stringify(state.result) ?? 'undefined';
  return state.error ? `${state.error.name}: ${state.error.message}` : state.message ?? '';
}

function truncate(text: string, width: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= width ? oneLine : `${oneLine.slice(0, width - 1)}…`;
}

export function formatDuration(milliseconds: number): string {
  return milliseconds < 1000 ? `${milliseconds} ms` : `${(milliseconds / 1000).toFixed(2)} s`;
}
