// Structured JSON logs (pino): constant messages, variables in fields, one child logger per reconcile,
// and credentials redacted by key name at any depth of a logged object.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys (compared case-insensitively) whose values are credentials, at any depth of a logged object. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'token',
  'bearertoken',
  'password',
  'apikey',
  'appkey',
  'api-key',
  'app-key',
  'dd-api-key',
  'dd-application-key',
  'secretaccesskey',
  'sessiontoken',
  'x-amz-security-token',
  'keydata',
  'authorization',
  'stringdata',
]);

const REDACTED = '[redacted]';

/** A copy of `value` with every secret-named key's value replaced, at any depth. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 12 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}

/** Options of the root logger. */
export interface LogOptions {
  readonly level?: string;
  /** Where to write; defaults to stdout. */
  readonly destination?: pino.DestinationStream;
}

/** Creates the root logger; pass it down, never import a global one. */
export function createLogger(opts: LogOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { app: 'okra' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that discards everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
