import type { Logger } from '@flowenv/core';

/** A logger that keeps its lines for assertions instead of printing them. */
export function quietLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string): void => void lines.push(`${level}: ${message}`);
  return { name: 'test', lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), critical: log('critical') };
}
