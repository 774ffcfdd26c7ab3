/**
 * The node's logger: pino, one JSON object per line on stdout. Everything that logs takes a
 * `pino.Logger` (a child of this one), so an embedding application can pass its own instead.
 */
import { pino, type DestinationStream, type Logger } from "pino";

/** pino's levels, plus "silent" (log nothing). */
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface LoggerOptions {
  /** Lowest level written. Default "info": a quiet cluster logs nothing at that level. */
  readonly level?: LogLevel;
  /** Where lines go. Default: stdout (fd 1), written synchronously so nothing is lost on exit. */
  readonly destination?: DestinationStream;
  /** Fields added to every line (e.g. `{ node: id }`). */
  readonly base?: Record<string, unknown>;
}

/** Creates the node's root logger. Throws when `level` is not a known level. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  if (!LOG_LEVELS.includes(level)) {
    throw new Error(`logLevel: must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(level)}`);
  }
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level,
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names ("info") rather than numbers: easier to read and to grep.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
