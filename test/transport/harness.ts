/** Test harness: real transports on 127.0.0.1 with recording handlers, and condition waits. */
import { pino } from "pino";
import { resolveConfig } from "../../src/protocol/config.js";
import type { Message, PeerRecord } from "../../src/protocol/index.js";
import { Transport, type TransportHandlers, type TransportOptions } from "../../src/transport/index.js";

export type Recorded =
  | { type: "message"; from: PeerRecord; message: Message }
  | { type: "linkUp"; peer: PeerRecord }
  | { type: "linkLost"; peerId: string }
  | { type: "contactFailed"; address: string }
  | { type: "invalid"; reason: string; from?: string };

/** Small timeouts keep the tests fast. */
export const TIMING = { heartbeatIntervalMs: 100, failureTimeoutMs: 600, exchangeTimeoutMs: 500 } as const;

export const protocol = resolveConfig();

export interface TestNode {
  readonly t: Transport;
  readonly self: PeerRecord;
  readonly events: Recorded[];
  /** Called after each recorded event (e.g. to react as the core would). */
  react: (e: Recorded) => void;
  of<K extends Recorded["type"]>(type: K): Extract<Recorded, { type: K }>[];
  messages(): Message[];
}

const started: Transport[] = [];

export async function startNode(
  id: string,
  opts: Partial<Omit<TransportOptions, "self" | "handlers" | "logger">> & { incarnation?: number } = {},
): Promise<TestNode> {
  const events: Recorded[] = [];
  const node = {
    events,
    react: (_e: Recorded) => {},
    of: <K extends Recorded["type"]>(type: K) => events.filter((e) => e.type === type) as Extract<Recorded, { type: K }>[],
    messages: () => events.flatMap((e) => (e.type === "message" ? [e.message] : [])),
  } as TestNode & { t: Transport; self: PeerRecord };
  const record = (e: Recorded) => {
    events.push(e);
    node.react(e);
  };
  const handlers: TransportHandlers = {
    message: (from, message) => record({ type: "message", from, message }),
    linkUp: (peer) => record({ type: "linkUp", peer }),
    linkLost: (peerId) => record({ type: "linkLost", peerId }),
    contactFailed: (address) => record({ type: "contactFailed", address }),
    invalid: (reason, from) => record({ type: "invalid", reason, from }),
  };
  const t = new Transport({
    self: { id, address: "127.0.0.1:0", incarnation: opts.incarnation ?? 1, metadata: { role: "test" } },
    listen: "127.0.0.1:0",
    protocol,
    queueLimit: 1024,
    logger: pino({ level: process.env.LOG_LEVEL ?? "silent" }).child({ node: id }),
    handlers,
    ...TIMING,
    ...opts,
  });
  started.push(t);
  await t.start();
  Object.assign(node, { t, self: t.self });
  return node;
}

/** Two nodes, `a` dialling `b`, with one active link between them; `b` reacts as a core that
 * accepts every link (connect on linkUp). */
export async function linkedPair(): Promise<{ a: TestNode; b: TestNode }> {
  const a = await startNode("a");
  const b = await startNode("b");
  b.react = (e) => {
    if (e.type === "linkUp") b.t.apply({ type: "connect", peer: e.peer });
  };
  a.t.apply({ type: "connect", peer: b.self });
  await waitFor(() => b.t.stats().activeLinks === 1, "link active on both sides");
  return { a, b };
}

/** Closes every transport started since the last call. */
export async function closeAll(): Promise<void> {
  await Promise.all(started.splice(0).map((t) => t.close()));
}

/** Polls `cond` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves once `ms` have passed while `cond` kept holding; fails as soon as it does not. Used to
 * check that something does NOT happen during a window (e.g. no linkLost while heartbeats flow). */
export async function holdsFor(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!cond()) throw new Error(`stopped holding: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!cond()) throw new Error(`stopped holding: ${what}`);
}
