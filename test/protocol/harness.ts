/**
 * Test harness for the protocol core: peer records, a wrapper that steps one core with scripted
 * inputs and keeps a copy of its effects, and a tiny hand-wired network for two or three cores.
 * The wrapper also checks, after every step, that the peers reported up are exactly the confirmed
 * active peers (DESIGN.md lesson: a peer is up only once both sides confirmed the link).
 */
import {
  HyParView,
  maxShuffleEntries,
  resolveConfig,
  SeededRng,
  type Effect,
  type Input,
  type Message,
  type PeerRecord,
  type ProtocolConfig,
  type TimerKind,
} from "../../src/protocol/index.js";

export function peer(id: string, incarnation = 1, address = `${id}.test:7000`): PeerRecord {
  return { id, address, incarnation, metadata: {} };
}

export type EffectOf<T extends Effect["type"]> = Extract<Effect, { type: T }>;
export type MessageOf<K extends Message["kind"]> = Extract<Message, { kind: K }>;

/** Effects of type `type`, in order. */
export function ofType<T extends Effect["type"]>(effects: readonly Effect[], type: T): EffectOf<T>[] {
  return effects.filter((e): e is EffectOf<T> => e.type === type);
}

/** `send` effects carrying a message of `kind` (all kinds if omitted), as { to, message }. */
export function sent<K extends Message["kind"]>(
  effects: readonly Effect[],
  kind: K,
  to?: string,
): { to: PeerRecord; message: MessageOf<K> }[] {
  const out: { to: PeerRecord; message: MessageOf<K> }[] = [];
  for (const e of ofType(effects, "send")) {
    if (e.message.kind === kind && (to === undefined || e.to.id === to)) {
      out.push({ to: e.to, message: e.message as MessageOf<K> });
    }
  }
  return out;
}

/** Reasons of the `dropped` effects. */
export function drops(effects: readonly Effect[]): string[] {
  return ofType(effects, "dropped").map((d) => d.reason);
}

export const ids = (peers: readonly PeerRecord[]): string[] => peers.map((p) => p.id).sort();

/** One core, stepped by hand. Every step's effects are copied (the core reuses its array). */
export class Node {
  readonly core: HyParView;
  readonly config: ProtocolConfig;
  now = 0;
  /** Peers reported up (peerUp minus peerDown), as a watcher would see them. */
  readonly up = new Set<string>();
  /** Broken "up only when confirmed" bookkeeping, one line per violation. */
  readonly violations: string[] = [];

  constructor(
    readonly self: PeerRecord,
    config: Partial<ProtocolConfig> = {},
    seed = 1,
  ) {
    this.config = resolveConfig(config);
    this.core = new HyParView(self, this.config, new SeededRng(seed));
  }

  get id(): string {
    return this.self.id;
  }

  step(input: Input, at: number = this.now): Effect[] {
    this.now = at;
    const effects = [...this.core.step(input, at)];
    for (const e of effects) {
      if (e.type === "peerUp") {
        if (this.up.has(e.peer.id)) this.violations.push(`${this.id}: peerUp twice for ${e.peer.id}`);
        this.up.add(e.peer.id);
      } else if (e.type === "peerDown") {
        if (!this.up.delete(e.peer.id)) this.violations.push(`${this.id}: peerDown for ${e.peer.id}, never up`);
      }
    }
    const confirmed = ids(this.core.activePeers()).join(",");
    const reported = [...this.up].sort().join(",");
    if (confirmed !== reported) {
      this.violations.push(`${this.id}: up [${reported}] but confirmed active [${confirmed}] after ${input.type}`);
    }
    return effects;
  }

  start(at = this.now): Effect[] {
    return this.step({ type: "start" }, at);
  }

  receive(from: PeerRecord, message: Message, at = this.now): Effect[] {
    return this.step({ type: "message", from, message }, at);
  }

  timer(timer: TimerKind, at = this.now): Effect[] {
    return this.step({ type: "timer", timer }, at);
  }

  /** Makes `p` a confirmed active peer by a high-priority NEIGHBOR from it. */
  link(p: PeerRecord): Effect[] {
    return this.receive(p, { kind: "neighbor", priority: "high", requestId: 900_000 + this.now });
  }

  /** Puts `peers` into the passive view through shuffles that end here (ttl 1), from `via`. */
  addPassive(peers: readonly PeerRecord[], via: PeerRecord = peer("shuffler")): void {
    const max = maxShuffleEntries(this.config);
    for (let i = 0; i < peers.length; i += max) {
      const entries = peers.slice(i, i + max);
      this.receive(via, { kind: "shuffle", origin: via, entries, ttl: 1, shuffleId: 700_000 + i });
    }
  }

  activeIds(): string[] {
    return ids(this.core.activePeers());
  }

  pendingIds(): string[] {
    return ids(this.core.activeEntries().filter((e) => e.pending).map((e) => e.peer));
  }

  passiveIds(): string[] {
    return ids(this.core.passivePeers());
  }

  /** Everything observable about the core's state, for "nothing changed" assertions. */
  snapshot(): string {
    return JSON.stringify({
      status: this.core.status,
      active: this.core.activeEntries().map((e) => ({ ...e.peer, pending: e.pending })),
      passive: this.core.passivePeers(),
    });
  }
}

/**
 * A hand-wired network of a few cores: `send` effects are queued and delivered in FIFO order
 * (so one link never reorders), `sendToContact` reaches the core listening on that address,
 * or comes back as `contactFailed`. Messages can be held to be delivered late.
 */
export class Net {
  readonly nodes = new Map<string, Node>();
  readonly queue: { from: PeerRecord; to: string; message: Message }[] = [];
  now = 0;
  /** When set, a message to a core that is not (or no longer) in the network comes back to its
   * sender as `linkLost`, as a transport reports an undeliverable message. Off: silently lost. */
  failUndeliverable = false;
  /** A network partition: messages for which it returns true are undeliverable. */
  cut: (from: string, to: string) => boolean = () => false;

  add(node: Node): Node {
    this.nodes.set(node.id, node);
    return node;
  }

  /** Stops `id` without a word; every core with it in its active view sees the link break. */
  crash(id: string): void {
    this.nodes.delete(id);
    for (const n of this.nodes.values()) {
      if (n.core.activeEntries().some((e) => e.peer.id === id)) this.step(n.id, { type: "linkLost", peerId: id });
    }
  }

  node(id: string): Node {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Steps `id` with `input` now and routes its effects. */
  step(id: string, input: Input): Effect[] {
    const n = this.node(id);
    const effects = n.step(input, this.now);
    this.route(n, effects);
    return effects;
  }

  private route(n: Node, effects: readonly Effect[]): void {
    for (const e of effects) {
      if (e.type === "send") this.queue.push({ from: n.self, to: e.to.id, message: e.message });
      else if (e.type === "sendToContact") {
        const target = [...this.nodes.values()].find((x) => x.self.address === e.address);
        if (target && !this.cut(n.id, target.id)) this.queue.push({ from: n.self, to: target.id, message: e.message });
        else this.step(n.id, { type: "contactFailed", address: e.address });
      }
    }
  }

  /** Delivers queued messages until none is left (at most `limit`). Returns how many. */
  pump(limit = 10_000, hold?: (m: { from: PeerRecord; to: string; message: Message }) => boolean): number {
    let delivered = 0;
    const held: typeof this.queue = [];
    while (this.queue.length > 0 && delivered < limit) {
      const m = this.queue.shift()!;
      if (hold?.(m)) {
        held.push(m);
        continue;
      }
      if (this.nodes.has(m.to) && !this.cut(m.from.id, m.to)) {
        this.step(m.to, { type: "message", from: m.from, message: m.message });
      }
      else if (this.failUndeliverable && this.nodes.get(m.from.id)?.self === m.from) {
        this.step(m.from.id, { type: "linkLost", peerId: m.to });
      }
      delivered++;
    }
    this.queue.push(...held);
    return delivered;
  }

  /** Pairs (a, b) where a has b as a confirmed active peer but b does not have a. */
  asymmetric(): string[] {
    const out: string[] = [];
    for (const n of this.nodes.values()) {
      for (const p of n.core.activePeers()) {
        const other = this.nodes.get(p.id);
        if (other && !other.core.isActive(n.id)) out.push(`${n.id}->${p.id}`);
      }
    }
    return out;
  }

  /** Whether the confirmed links connect every core. */
  connected(): boolean {
    const start = this.nodes.keys().next().value;
    if (start === undefined) return true;
    const seen = new Set([start]);
    const todo = [start];
    while (todo.length > 0) {
      for (const p of this.node(todo.pop()!).core.activePeers()) {
        if (this.nodes.has(p.id) && !seen.has(p.id)) {
          seen.add(p.id);
          todo.push(p.id);
        }
      }
    }
    return seen.size === this.nodes.size;
  }

  violations(): string[] {
    return [...this.nodes.values()].flatMap((n) => n.violations);
  }
}
