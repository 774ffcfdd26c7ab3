/**
 * A node's options: what each means, its unit and default, and their validation, done once at
 * start (`resolveOptions`). An invalid option throws NodeOptionsError naming it.
 */
import { randomInt as cryptoRandomInt } from "node:crypto";
import os from "node:os";
import type { Logger } from "pino";
import { checkContacts } from "../membership/contacts.js";
import { DEFAULT_WATCH_BUFFER_LIMIT } from "../membership/server.js";
import { LOG_LEVELS, type LogLevel } from "../observability/logger.js";
import { ConfigError, resolveConfig, type PeerRecord, type ProtocolConfig } from "../protocol/index.js";
import {
  WireError,
  checkId,
  checkMetadata,
  encodeHandshake,
  encodedSize,
  formatAddress,
  maxPeerBytes,
  parseAddress,
} from "../wire/index.js";

/** How a node is started. Every field is optional; each says its unit and default. */
export interface NodeOptions {
  /** Stable, unique node name (what applications connect to), <= 256 bytes. Default: os.hostname(). */
  readonly id?: string;
  /** Overlay bind address, "host:port"; port 0 = ephemeral. Default "0.0.0.0:4500". */
  readonly listen?: string;
  /** Overlay address other nodes dial, "host:port". Default: `listen` with a wildcard host
   * (0.0.0.0, ::) replaced by os.hostname(), and port 0 replaced by the bound port. */
  readonly advertise?: string;
  /** Client API (MembershipService, health, reflection) bind address, "host:port"; port 0 =
   * ephemeral. null = no API server (in-process library use). Default "127.0.0.1:4501". */
  readonly apiListen?: string | null;
  /** Contacts to join through, "host:port" each. Default [] (start a new overlay). */
  readonly contacts?: readonly string[];
  /** Labels passed to watchers unchanged (<= 32 entries, key <= 64 B, value <= 1 KiB). Default {}. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Protocol settings; the rest keep DEFAULT_PROTOCOL_CONFIG (documented in protocol/config.ts). */
  readonly protocol?: Partial<ProtocolConfig>;
  /** Heartbeat period on active links, ms. Default 500. */
  readonly heartbeatIntervalMs?: number;
  /** Silence on an active link that counts as a failure, ms; > heartbeatIntervalMs. Default 2000. */
  readonly failureTimeoutMs?: number;
  /** Lifetime of a short-lived link (dial, handshake, wait for a reply), ms. Default 3000. */
  readonly exchangeTimeoutMs?: number;
  /** Outgoing messages queued per link before the peer counts as failed (the paper's rule for
   * slow nodes). Default 1024. */
  readonly queueLimit?: number;
  /** Events a client API watcher may fall behind before its stream ends with RESOURCE_EXHAUSTED.
   * Default 1024. */
  readonly watchBufferLimit?: number;
  /** How long a graceful leave waits for the DISCONNECTs to be flushed, ms. Default 2000 (the
   * daemon bounds a whole leave at 3000). */
  readonly leaveFlushMs?: number;
  /** Logger to use (children are made per component). Default: a new JSON logger on stdout. */
  readonly logger?: Logger;
  /** Level of the default logger (ignored when `logger` is given). Default "info". */
  readonly logLevel?: LogLevel;
  /** Seed of the core's random generator, an integer (replays a run). Default: random. */
  readonly seed?: number;
  /** This run's incarnation (grows across restarts), a non-negative integer. Default Date.now(). */
  readonly incarnation?: number;
}

/** An invalid option: `option` names it, `rule` says what is wrong. Nothing was started. */
export class NodeOptionsError extends Error {
  constructor(
    readonly option: string,
    readonly rule: string,
  ) {
    super(`${option}: ${rule}`);
    this.name = "NodeOptionsError";
  }
}

/** The options after validation, with every default filled in. */
export interface ResolvedOptions {
  self: PeerRecord;
  listen: string;
  apiListen: string | null;
  contacts: readonly string[];
  protocol: ProtocolConfig;
  heartbeatIntervalMs: number;
  failureTimeoutMs: number;
  exchangeTimeoutMs: number;
  queueLimit: number;
  watchBufferLimit: number;
  leaveFlushMs: number;
  seed: number;
}

const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "";

/** "host:port" with port 0-65535 (0 = ephemeral), for bind addresses. */
export function parseListen(option: string, value: unknown): { host: string; port: number } {
  const text = String(value);
  const m = typeof value === "string" ? /^(.*):([0-9]{1,5})$/.exec(value) : null;
  const port = m ? Number(m[2]) : NaN;
  // parseAddress checks the host part (and IPv6 brackets); it wants a non-zero port.
  const parsed = m && port <= 65535 ? parseAddress(`${m[1]}:1`) : null;
  if (parsed === null) throw new NodeOptionsError(option, `${JSON.stringify(text)} is not host:port with a port 0-65535`);
  return { host: parsed.host, port };
}

function integer(option: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new NodeOptionsError(option, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Validates every option once, at start; throws NodeOptionsError naming the first bad one. */
export function resolveOptions(options: NodeOptions): ResolvedOptions {
  const id = options.id ?? os.hostname();
  const wire = (option: string, check: () => void) => {
    try {
      check();
    } catch (e) {
      // The message is "<reason>: <detail>"; the option name replaces the reason label.
      if (e instanceof WireError) throw new NodeOptionsError(option, e.message.slice(e.reason.length + 2));
      throw e;
    }
  };
  if (typeof id !== "string") throw new NodeOptionsError("id", "must be a string");
  wire("id", () => checkId(id));
  const metadata = options.metadata ?? {};
  wire("metadata", () => checkMetadata(metadata));

  let protocol: ProtocolConfig;
  try {
    protocol = resolveConfig(options.protocol ?? {});
  } catch (e) {
    if (e instanceof ConfigError) throw new NodeOptionsError(`protocol.${e.field}`, e.rule);
    throw e;
  }
  const heartbeatIntervalMs = integer("heartbeatIntervalMs", options.heartbeatIntervalMs, 1, 500);
  const failureTimeoutMs = integer("failureTimeoutMs", options.failureTimeoutMs, 1, 2000);
  if (failureTimeoutMs <= heartbeatIntervalMs) {
    throw new NodeOptionsError("failureTimeoutMs", `must be > heartbeatIntervalMs (${heartbeatIntervalMs}), got ${failureTimeoutMs}`);
  }
  const exchangeTimeoutMs = integer("exchangeTimeoutMs", options.exchangeTimeoutMs, 1, 3000);
  const queueLimit = integer("queueLimit", options.queueLimit, 1, 1024);
  const watchBufferLimit = integer("watchBufferLimit", options.watchBufferLimit, 1, DEFAULT_WATCH_BUFFER_LIMIT);
  const leaveFlushMs = integer("leaveFlushMs", options.leaveFlushMs, 0, 2000);
  const seed = integer("seed", options.seed, 0, cryptoRandomInt(2 ** 47));
  const incarnation = integer("incarnation", options.incarnation, 0, Date.now());
  if (options.logLevel !== undefined && !LOG_LEVELS.includes(options.logLevel)) {
    throw new NodeOptionsError("logLevel", `must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(options.logLevel)}`);
  }

  const contacts = options.contacts ?? [];
  if (!Array.isArray(contacts)) throw new NodeOptionsError("contacts", "must be a list of host:port");
  const badContact = checkContacts(contacts, true);
  if (badContact !== null) throw new NodeOptionsError(badContact.field, badContact.rule);

  const apiListen = options.apiListen === undefined ? "127.0.0.1:4501" : options.apiListen;
  if (apiListen !== null) parseListen("apiListen", apiListen);
  const bind = parseListen("listen", options.listen ?? "0.0.0.0:4500");
  if (options.advertise !== undefined && parseAddress(options.advertise) === null) {
    throw new NodeOptionsError("advertise", `${JSON.stringify(options.advertise)} is not host:port with a port 1-65535`);
  }

  // Port 0 in the advertised address stands for the bound port; the transport fills it in.
  const address = options.advertise ?? formatAddress(isWildcard(bind.host) ? os.hostname() : bind.host, bind.port);
  const self: PeerRecord = Object.freeze({ id, address, incarnation, metadata: Object.freeze({ ...metadata }) });
  if (encodedSize(encodeHandshake({ ...self, address: address.replace(/:0$/, ":65535") })) > maxPeerBytes(protocol)) {
    throw new NodeOptionsError("metadata", `this node's descriptor must stay under ${maxPeerBytes(protocol)} bytes so full shuffles fit in one message`);
  }
  return {
    self,
    listen: formatAddress(bind.host, bind.port),
    apiListen,
    contacts: [...contacts],
    protocol,
    heartbeatIntervalMs,
    failureTimeoutMs,
    exchangeTimeoutMs,
    queueLimit,
    watchBufferLimit,
    leaveFlushMs,
    seed,
  };
}
