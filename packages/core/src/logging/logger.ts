/**
 * Minimal structured logging with secret masking. Every line goes through one sink, so the CLI,
 * tests and container entry points decide where logs go, and registered secret values never
 * leave the process in clear text.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'critical';

export interface LogRecord {
  readonly level: LogLevel;
  readonly logger: string;
  readonly message: string;
  readonly time: number;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  readonly name: string;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  critical(message: string): void;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, critical: 50 };
const secretValues = new Set<string>();
const mask = '********';

const stderrSink: LogSink = (record) => {
  process.stderr.write(`${new Date(record.time).toISOString()} ${record.level.toUpperCase()} ${record.logger}: ${record.message}\n`);
};

let sink: LogSink = stderrSink;
let threshold: number = levelRank.info;

/** Routes every log record to `next`; returns a function that restores the previous sink. */
export function setLogSink(next: LogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/** Drops records below `level` (config `logging.level`, PREFECT__LOGGING__LEVEL). */
export function setLogLevel(level: string): void {
  const rank = levelRank[level.toLowerCase() as LogLevel];
  if (rank !== undefined) threshold = rank;
}

/** Values (auth tokens, passwords) replaced by a mask wherever flowenv writes a log line. */
export function registerSecretValue(value: string | undefined | null): void {
  // Very short values would mask ordinary words; real credentials are longer.
  if (typeof value === 'string' && value.length >= 4) secretValues.add(value);
}

export function maskSecrets(text: string): string {
  let masked = text;
  for (const secret of secretValues) {
    if (masked.includes(secret)) masked = masked.split(secret).join(mask);
  }
  return masked;
}

export function createLogger(name: string): Logger {
  const write = (level: LogLevel, message: string): void => {
    if (levelRank[level] < threshold) return;
    sink({ level, logger: name, message: maskSecrets(message), time: Date.now() });
  };
  return {
    name,
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
    critical: (message) => write('critical', message),
  };
}

/** "Name: message" for any thrown value, for one-line log messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
