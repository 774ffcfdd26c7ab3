/**
 * hyparviewd's configuration: command-line flags and HYPARVIEW_* environment variables in, the
 * options of `startNode` (or a one-line error naming the flag) out. Pure: no process globals, so
 * every path is unit-tested.
 */
import { parseArgs } from "node:util";
import { ConfigError, resolveConfig, type ProtocolConfig } from "../protocol/index.js";
import { FLAGS, LOG_LEVELS, envName, type FlagSpec, type LogLevel } from "./flags.js";
import { ValueError, parseCount, parseDuration, parseHostPort, parseMeta, splitList } from "./values.js";

/** What hyparviewd passes to `startNode`. */
export interface DaemonOptions {
  id: string;
  listen: string;
  /** Absent: the node derives it from `listen`. */
  advertise?: string;
  apiListen: string;
  /** Empty: start a new cluster. */
  contacts: string[];
  metadata: Record<string, string>;
  /** Only the settings that were given; the rest keep the core's defaults. */
  protocol: Partial<ProtocolConfig>;
  heartbeatIntervalMs: number;
  failureTimeoutMs: number;
  logLevel: LogLevel;
}

export type DaemonArgs =
  | { readonly kind: "run"; readonly options: DaemonOptions }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  /** `message` is one line naming the flag (and its variable) and what is wrong with it. */
  | { readonly kind: "error"; readonly message: string };

export type Env = Readonly<Record<string, string | undefined>>;

/** Variables with the HYPARVIEW_ prefix that are not daemon flags but are fine to find set. */
const OTHER_ENV = new Set(["HYPARVIEW_API"]);

/** Core settings by flag name, so a ConfigError about a field names the flag that set it. */
const PROTOCOL_FIELDS: Readonly<Record<string, keyof ProtocolConfig>> = {
  "active-size": "activeViewSize",
  "passive-size": "passiveViewSize",
  arwl: "arwl",
  prwl: "prwl",
  "shuffle-interval": "shuffleIntervalMs",
  "shuffle-active": "shuffleActive",
  "shuffle-passive": "shufflePassive",
};

const DEFAULTS = {
  listen: "0.0.0.0:4500",
  apiListen: "127.0.0.1:4501",
  heartbeatIntervalMs: 500,
  failureTimeoutMs: 2000,
  logLevel: "info" as LogLevel,
};

class FlagError extends Error {}

/**
 * Reads flags (`argv`, without the node and script paths) over environment variables (`env`).
 * `hostname` is the default node id.
 */
export function parseDaemonArgs(argv: readonly string[], env: Env, hostname: string): DaemonArgs {
  try {
    return parse(argv, env, hostname);
  } catch (e) {
    if (e instanceof FlagError) return { kind: "error", message: e.message };
    throw e;
  }
}

function parse(argv: readonly string[], env: Env, hostname: string): DaemonArgs {
  const parsed = parseCommandLine(argv);
  if (parsed.help === true) return { kind: "help" };
  if (parsed.version === true) return { kind: "version" };
  checkUnknownEnv(env);

  /** The raw text(s) of a flag: from the command line if given there, else from its variable. */
  const raw = (f: FlagSpec): { values: string[]; source: string } | undefined => {
    const v = parsed[f.name];
    if (v !== undefined) {
      const values = (Array.isArray(v) ? v : [v]).map(String);
      return { values, source: `--${f.name}` };
    }
    const e = env[envName(f.name)];
    if (e === undefined || e.trim() === "") return undefined; // empty = unset (as compose files write it)
    const repeatable = f.kind === "contacts" || f.kind === "meta";
    return { values: repeatable ? splitList(e) : [e], source: `--${f.name} (from ${envName(f.name)})` };
  };

  const options: DaemonOptions = {
    id: hostname,
    listen: DEFAULTS.listen,
    apiListen: DEFAULTS.apiListen,
    contacts: [],
    metadata: {},
    protocol: {},
    heartbeatIntervalMs: DEFAULTS.heartbeatIntervalMs,
    failureTimeoutMs: DEFAULTS.failureTimeoutMs,
    logLevel: DEFAULTS.logLevel,
  };
  const protocol: Record<string, number> = {};
  const sources = new Map<string, string>();

  for (const f of FLAGS) {
    const r = raw(f);
    if (r === undefined) continue;
    sources.set(f.name, r.source);
    const last = r.values[r.values.length - 1] ?? "";
    const check = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        if (e instanceof ValueError) throw new FlagError(`invalid ${r.source}: ${e.message}`);
        throw e;
      }
    };
    switch (f.kind) {
      case "text":
        if (last.trim() === "") throw new FlagError(`invalid ${r.source}: must not be empty`);
        options.id = last.trim();
        break;
      case "listen":
        if (f.name === "listen") options.listen = check(() => parseHostPort(last, 0));
        else options.apiListen = check(() => parseHostPort(last, 0));
        break;
      case "endpoint":
        options.advertise = check(() => parseHostPort(last, 1));
        break;
      case "contacts":
        options.contacts = r.values.map((c) => check(() => parseHostPort(c, 1)));
        break;
      case "meta":
        for (const item of r.values) {
          const [k, v] = check(() => parseMeta(item));
          options.metadata[k] = v;
        }
        break;
      case "count":
        protocol[f.name] = check(() => parseCount(last, f.min ?? 0));
        break;
      case "duration": {
        const ms = check(() => parseDuration(last));
        if (f.name === "heartbeat-interval") options.heartbeatIntervalMs = ms;
        else if (f.name === "failure-timeout") options.failureTimeoutMs = ms;
        else protocol[f.name] = ms;
        break;
      }
      case "level":
        if (!(LOG_LEVELS as readonly string[]).includes(last.trim())) {
          throw new FlagError(`invalid ${r.source}: must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(last)}`);
        }
        options.logLevel = last.trim() as LogLevel;
        break;
    }
  }

  for (const [flag, value] of Object.entries(protocol)) {
    const field = PROTOCOL_FIELDS[flag];
    if (field !== undefined) (options.protocol as Record<string, number>)[field] = value;
  }
  checkProtocol(options.protocol, sources);
  if (options.failureTimeoutMs <= options.heartbeatIntervalMs) {
    const src = sources.get("failure-timeout") ?? sources.get("heartbeat-interval") ?? "--failure-timeout";
    throw new FlagError(
      `invalid ${src}: the failure timeout (${options.failureTimeoutMs}ms) must exceed the heartbeat interval (${options.heartbeatIntervalMs}ms)`,
    );
  }
  return { kind: "run", options };
}

type Parsed = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parseCommandLine(argv: readonly string[]): Parsed {
  const spec: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  for (const f of FLAGS) {
    spec[f.name] = { type: "string", multiple: f.kind === "contacts" || f.kind === "meta" };
  }
  try {
    return parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }).values as Parsed;
  } catch (e) {
    throw new FlagError(describeParseError(e));
  }
}

/** node:util parseArgs errors, shortened to one line that names the flag. */
function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const name = /'([^']+)'/.exec(msg)?.[1] ?? "?";
      return `unknown flag ${name} (see --help)`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = /(--[\w-]+)/.exec(msg)?.[1] ?? /'(-\w)/.exec(msg)?.[1] ?? "?";
      return msg.includes("does not take an argument") ? `flag ${name} takes no value` : `flag ${name} needs a value`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const arg = /'([^']*)'/.exec(msg)?.[1] ?? "?";
      return `unexpected argument ${JSON.stringify(arg)}: hyparviewd takes flags only (see --help)`;
    }
    default:
      return msg.split("\n")[0] ?? msg;
  }
}

/** A HYPARVIEW_* variable that is not a flag is most likely a typo that would be silently ignored. */
function checkUnknownEnv(env: Env): void {
  const known = new Set(FLAGS.map((f) => envName(f.name)));
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith("HYPARVIEW_") || known.has(k) || OTHER_ENV.has(k) || v === undefined) continue;
    throw new FlagError(`unknown environment variable ${k} (see --help for the HYPARVIEW_* variables)`);
  }
}

/** The core's own validation (e.g. PRWL <= ARWL), reported against the flag that set the field. */
function checkProtocol(protocol: Partial<ProtocolConfig>, sources: ReadonlyMap<string, string>): void {
  try {
    resolveConfig(protocol);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const flag = Object.entries(PROTOCOL_FIELDS).find(([, field]) => field === e.field)?.[0];
    const src = flag === undefined ? e.field : (sources.get(flag) ?? `--${flag}`);
    throw new FlagError(`invalid ${src}: ${e.rule}`);
  }
}
