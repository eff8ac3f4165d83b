import winston from 'winston';

export type Logger = winston.Logger;

const level = process.env.SX_LOG_LEVEL ?? 'info';

/**
 * A JSON logger for one component (`{"level","message","component","time",...}` per line on
 * stderr, so stdout stays free for command output such as the CNI result).
 */
export function createLogger(component: string, opts: { level?: string; silent?: boolean } = {}): Logger {
  return winston.createLogger({
    level: opts.level ?? level,
    silent: opts.silent ?? false,
    defaultMeta: { component },
    format: winston.format.combine(winston.format.timestamp({ alias: 'time' }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
