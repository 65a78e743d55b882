// The one structured logger: one JSON object per line, which Workers Logs indexes by field.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: LogLevel = 'info';

export function setLogLevel(level: string | undefined): void {
  if (level && level in LEVELS) threshold = level as LogLevel; // checked by the `in` above
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

// Drizzle's query errors end their message with every bound value ("\nparams: …"): a token
// hash, a password hash, a ciphertext. A log line keeps the SQL and drops the values.
const BOUND_VALUES = /\nparams: [\s\S]*$/;

// Statuspage clients may send their API key in the URL (`?api_key=`, accepted on /v1/pages)
// and unsubscribe links carry `?token=`: a log line that quotes such a URL anywhere (a field,
// a nested object, an error's message or stack) keeps the parameter's name, never its value.
const URL_SECRETS = /([?&](?:api_key|token)=)[^&#\s"'\\]*/gi;
export const redactUrlSecrets = (text: string) => text.replace(URL_SECRETS, '$1[redacted]');

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const message = value.message.replace(BOUND_VALUES, '\nparams: [redacted]');
    const stack = value.stack?.replace(value.message, () => message);
    return { name: value.name, message, stack };
  }
  return value;
}

export function createLogger(name: string): Logger {
  const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < LEVELS[threshold]) return;
    const entry: Record<string, unknown> = {
      level,
      logger: name,
      message,
      time: new Date().toISOString(),
    };
    for (const [key, value] of Object.entries(fields)) entry[key] = serialise(value);
    const line = redactUrlSecrets(JSON.stringify(entry));
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
