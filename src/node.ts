/**
 * The one composition root (DESIGN.md "Practices worth keeping"): a HyParView node owns the pure
 * protocol core, its timers, the peer transport, the membership state, the client API server and
 * the logger, and wires them together. Nothing else does.
 *
 * Every input (a transport callback, a timer, an API call) goes through one serialized driver,
 * `input()`, which steps the core and applies every effect before it returns: no `await` in
 * between, and an input that arrives while effects are being applied (a subscriber calling
 * `join`) waits its turn.
 */
import { randomInt as cryptoRandomInt } from "node:crypto";
import os from "node:os";
import type { Logger } from "pino";
import { checkContacts } from "./membership/contacts.js";
import { ApiServer, DEFAULT_WATCH_BUFFER_LIMIT, type ApiStats } from "./membership/server.js";
import {
  MembershipState,
  type MembershipListener,
  type MembershipSnapshot,
  type SubscribeOptions,
} from "./membership/state.js";
import { LOG_LEVELS, createLogger, type LogLevel } from "./observability/logger.js";
import {
  ConfigError,
  HyParView,
  SeededRng,
  resolveConfig,
  type Effect,
  type Input,
  type PeerRecord,
  type ProtocolConfig,
  type TimerKind,
} from "./protocol/index.js";
import { Transport, type TransportStats } from "./transport/index.js";
import {
  WireError,
  checkId,
  checkMetadata,
  encodeHandshake,
  encodedSize,
  formatAddress,
  maxPeerBytes,
  parseAddress,
} from "./wire/index.js";

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

/** A running node. */
export interface HyParViewNode {
  readonly id: string;
  /** The advertised overlay address. */
  readonly address: string;
  /** The client API's bound address ("host:port"), or null when there is none. */
  readonly apiAddress: string | null;
  /** This node as peers see it. */
  readonly self: PeerRecord;
  /** running -> leaving -> left (after `leave`); closed after `close`. */
  readonly phase: NodePhase;
  /** Adds a membership listener (called synchronously, in order); with `{ replay: true }` it first
   * gets the current snapshot, with no gap before the next event. Returns the unsubscribe function. */
  subscribe(listener: MembershipListener, options?: SubscribeOptions): () => void;
  /** The current membership (self, active, passive, revision). */
  members(): MembershipSnapshot;
  /** Joins (or rejoins) through `contacts` ("host:port", at least one). Throws NodeOptionsError. */
  join(contacts: readonly string[]): void;
  /** Leaves gracefully: DISCONNECT(leaving) to every active peer, flushed (bounded), then the
   * overlay stops. The client API keeps answering until `close`. Idempotent. */
  leave(): Promise<void>;
  /** Stops everything at once, without telling the peers. Idempotent. */
  close(): Promise<void>;
  stats(): NodeStats;
}

export type NodePhase = "running" | "leaving" | "left" | "closed";

export interface NodeStats {
  revision: number;
  active: number;
  passive: number;
  inputs: number;
  /** Inputs the core ignored, by reason. */
  dropped: Record<string, number>;
  /** Bad input from peers, by reason (the transport refused it). */
  invalid: Record<string, number>;
  /** Exceptions caught in the driver (a bug if not zero). */
  errors: number;
  transport: TransportStats;
  api: ApiStats | null;
}

interface Resolved {
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

/** Starts a node: validates the options, binds the overlay and the API, and joins. */
export async function startNode(options: NodeOptions = {}): Promise<HyParViewNode> {
  const o = resolveOptions(options);
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info", base: { node: o.self.id } });
  const node = new Node(o, logger);
  try {
    await node.start();
  } catch (e) {
    await node.close();
    throw e;
  }
  return node;
}

const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "";

/** "host:port" with port 0-65535 (0 = ephemeral), for bind addresses. */
function parseListen(option: string, value: unknown): { host: string; port: number } {
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
function resolveOptions(options: NodeOptions): Resolved {
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

class Node implements HyParViewNode {
  /** Built once the transport is bound: `self` then carries the bound port (see start()). */
  private core!: HyParView;
  private membership!: MembershipState;
  private selfRecord: PeerRecord;
  private ready = false;
  private readonly transport: Transport;
  private api: ApiServer | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Inputs that arrived while effects were being applied; run in order by the driver. */
  private readonly backlog: Input[] = [];
  private driving = false;
  private currentPhase: NodePhase = "running";
  private leaving: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private transportClosed: Promise<void> | null = null;
  private readonly counters = {
    inputs: 0,
    errors: 0,
    dropped: {} as Record<string, number>,
    invalid: {} as Record<string, number>,
  };

  constructor(
    private readonly o: Resolved,
    private readonly log: Logger,
  ) {
    this.selfRecord = o.self;
    this.transport = new Transport({
      self: o.self,
      listen: o.listen,
      protocol: o.protocol,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      failureTimeoutMs: o.failureTimeoutMs,
      exchangeTimeoutMs: o.exchangeTimeoutMs,
      queueLimit: o.queueLimit,
      logger: log,
      handlers: {
        message: (from, message) => this.input({ type: "message", from, message }),
        linkUp: (peer) => this.input({ type: "linkUp", peer }),
        linkLost: (peerId) => {
          this.log.debug({ peer: peerId }, "link lost");
          this.input({ type: "linkLost", peerId });
        },
        contactFailed: (address) => {
          if (this.currentPhase !== "running") return;
          this.log.warn({ contact: address }, "contact unreachable; will retry with backoff");
          this.input({ type: "contactFailed", address });
        },
        invalid: (reason, from) => {
          this.counters.invalid[reason] = (this.counters.invalid[reason] ?? 0) + 1;
          this.log.warn({ reason, peer: from }, "refused bad input from a peer");
        },
      },
    });
  }

  get id(): string {
    return this.selfRecord.id;
  }
  get address(): string {
    return this.selfRecord.address;
  }
  get self(): PeerRecord {
    return this.selfRecord;
  }
  get phase(): NodePhase {
    return this.currentPhase;
  }
  get apiAddress(): string | null {
    if (this.api === null || this.o.apiListen === null) return null;
    const { host } = parseListen("apiListen", this.o.apiListen);
    return formatAddress(host, this.api.boundPort);
  }

  async start(): Promise<void> {
    let port: number;
    try {
      ({ port } = await this.transport.start());
    } catch (e) {
      throw new Error(`listen: cannot serve the overlay on ${this.o.listen}: ${e instanceof Error ? e.message : String(e)}`);
    }
    // An advertised port 0 now names the bound port: peers, the core and watchers all see that.
    this.selfRecord = this.transport.self;
    this.core = new HyParView(this.selfRecord, this.o.protocol, new SeededRng(this.o.seed));
    this.membership = new MembershipState(this.selfRecord, () => this.core.passivePeers(), (err, event) =>
      this.log.error({ err, event: event.type }, "membership listener threw"),
    );
    this.ready = true;
    if (this.o.apiListen !== null) {
      this.api = await ApiServer.start({
        listen: this.o.apiListen,
        backend: this,
        logger: this.log.child({ component: "api" }),
        watchBufferLimit: this.o.watchBufferLimit,
      });
    }
    const o = this.o;
    this.log.info(
      {
        id: this.selfRecord.id,
        address: this.selfRecord.address,
        listen: o.listen,
        boundPort: port,
        apiAddress: this.apiAddress,
        incarnation: this.selfRecord.incarnation,
        metadata: this.selfRecord.metadata,
        contacts: o.contacts,
        protocol: o.protocol,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        failureTimeoutMs: o.failureTimeoutMs,
        exchangeTimeoutMs: o.exchangeTimeoutMs,
        queueLimit: o.queueLimit,
        watchBufferLimit: o.watchBufferLimit,
        seed: o.seed,
      },
      "node started",
    );
    this.input({ type: "start" });
    if (o.contacts.length > 0) this.log.info({ contacts: o.contacts }, "joining");
    else this.log.info("starting a new overlay (no contacts)");
    this.input({ type: "join", contacts: o.contacts });
    this.api?.setServing(true);
  }

  subscribe(listener: MembershipListener, options: SubscribeOptions = {}): () => void {
    return this.membership.subscribe(listener, options);
  }

  snapshot(): MembershipSnapshot {
    return this.membership.snapshot();
  }

  members(): MembershipSnapshot {
    return this.membership.snapshot();
  }

  join(contacts: readonly string[]): void {
    const bad = checkContacts(contacts, false);
    if (bad !== null) throw new NodeOptionsError(bad.field, bad.rule);
    if (this.currentPhase !== "running") throw new Error(`cannot join: the node is ${this.currentPhase}`);
    this.log.info({ contacts }, "joining");
    this.input({ type: "join", contacts: [...contacts] });
  }

  leave(): Promise<void> {
    this.leaving ??= (async () => {
      if (this.currentPhase !== "running") return;
      this.currentPhase = "leaving";
      this.api?.setServing(false);
      this.log.info({ active: this.core.activePeers().map((p) => p.id) }, "leaving the overlay");
      const before = this.transport.stats();
      this.input({ type: "leave" });
      // The core sent DISCONNECT(leaving) to every active peer and closed their links: the
      // transport flushes each, then ends it. Wait for those links to be gone (bounded), then
      // stop serving the overlay. (Waiting here rather than in transport.close(): close() cuts
      // links that are still ending.)
      const deadline = Date.now() + this.o.leaveFlushMs;
      const flushed = await waitUntil(() => this.transport.stats().links <= before.links - before.activeLinks, deadline);
      if (!flushed) this.log.warn({ boundMs: this.o.leaveFlushMs }, "leave: links to the active peers not flushed in time");
      await bounded(this.closeTransport(), Math.max(0, deadline - Date.now()));
      this.clearTimers();
      if (this.currentPhase === "leaving") this.currentPhase = "left";
      this.log.info("left the overlay");
    })();
    return this.leaving;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.currentPhase = "closed";
      this.clearTimers();
      this.backlog.length = 0;
      await Promise.all([this.api?.close(), this.closeTransport()]);
      if (this.ready) this.membership.clear();
      this.log.info("node closed");
    })();
    return this.closing;
  }

  stats(): NodeStats {
    return {
      revision: this.membership.revision,
      active: this.core.activePeers().length,
      passive: this.core.passivePeers().length,
      inputs: this.counters.inputs,
      dropped: { ...this.counters.dropped },
      invalid: { ...this.counters.invalid },
      errors: this.counters.errors,
      transport: this.transport.stats(),
      api: this.api?.stats() ?? null,
    };
  }

  /** The serialized driver: steps the core and applies all of its effects, one input at a time. */
  private input(input: Input): void {
    if (this.currentPhase === "closed" || !this.ready) return;
    this.backlog.push(input);
    if (this.driving) return;
    this.driving = true;
    try {
      for (let next = this.backlog.shift(); next !== undefined; next = this.backlog.shift()) {
        this.counters.inputs++;
        try {
          // The effects array is reused by the next step: apply it all first.
          for (const e of this.core.step(next, Date.now())) this.apply(e);
        } catch (err) {
          this.counters.errors++;
          this.log.error({ err, input: next.type }, "error while handling an input");
        }
      }
    } finally {
      this.driving = false;
    }
  }

  private apply(e: Effect): void {
    switch (e.type) {
      case "send":
      case "sendToContact":
      case "connect":
      case "disconnect":
        this.transport.apply(e);
        return;
      case "peerUp":
        this.log.info({ peer: e.peer.id, address: e.peer.address }, "peer up");
        this.membership.peerUp(e.peer);
        return;
      case "peerDown":
        this.log.info({ peer: e.peer.id, address: e.peer.address, reason: e.reason }, "peer down");
        this.membership.peerDown(e.peer, e.reason);
        return;
      case "passiveChanged":
        return;
      case "schedule":
        return this.schedule(e.timer, e.delayMs);
      case "dropped":
        this.counters.dropped[e.reason] = (this.counters.dropped[e.reason] ?? 0) + 1;
        this.log.debug({ reason: e.reason, peer: e.from }, "input dropped");
        return;
    }
  }

  /** Timers are never cancelled (the core re-checks when one fires), only cleared on shutdown. */
  private schedule(timer: TimerKind, delayMs: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.input({ type: "timer", timer });
    }, delayMs);
    // The servers keep the process alive; a pending timer alone must not.
    t.unref();
    this.timers.add(t);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private closeTransport(): Promise<void> {
    const closed = this.transportClosed ?? this.transport.close();
    this.transportClosed = closed;
    return closed;
  }
}

/** Whether `p` settled within `ms` (its rejection counts as settled; it is logged by the caller). */
async function bounded(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `done` every few ms until it holds (true) or `deadline` (ms since the epoch) passes (false). */
async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
