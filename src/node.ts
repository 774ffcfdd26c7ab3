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
import type { Logger } from "pino";
import { checkContacts } from "./membership/contacts.js";
import { ApiServer, type ApiStats } from "./membership/server.js";
import {
  MembershipState,
  type MembershipListener,
  type MembershipSnapshot,
  type SubscribeOptions,
} from "./membership/state.js";
import { createLogger } from "./observability/logger.js";
import { HyParView, SeededRng, type Effect, type Input, type PeerRecord, type TimerKind } from "./protocol/index.js";
import {
  NodeOptionsError,
  parseListen,
  resolveOptions,
  type NodeOptions,
  type ResolvedOptions,
} from "./node/options.js";
import { Transport, type TransportStats } from "./transport/index.js";
import { formatAddress } from "./wire/index.js";

export { NodeOptionsError, type NodeOptions } from "./node/options.js";

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
  /** Probes sent (high-priority NEIGHBORs to passive entries that failed before; see
   * src/protocol/probe.ts). Each answered one rewires two links on purpose. */
  probes: number;
  /** Inputs the core ignored, by reason. */
  dropped: Record<string, number>;
  /** Bad input from peers, by reason (the transport refused it). */
  invalid: Record<string, number>;
  /** Exceptions caught in the driver (a bug if not zero). */
  errors: number;
  transport: TransportStats;
  api: ApiStats | null;
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
    private readonly o: ResolvedOptions,
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
      probes: this.core.probesSent,
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
