import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { TIMING, closeAll, startNode, waitFor } from "./harness.js";

afterEach(closeAll);

const neighbor: Message = { kind: "neighbor", priority: "high", requestId: 1 };
const accept: Message = { kind: "neighborReply", requestId: 1, accepted: true };

describe("transport links", () => {
  it("handshakes, reports linkUp on both sides, and carries messages both ways on one link", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    // b reacts as its core would: NEIGHBOR accepted -> connect + reply on the same link.
    b.react = (e) => {
      if (e.type === "message" && e.message.kind === "neighbor") {
        b.t.apply({ type: "connect", peer: e.from });
        b.t.apply({ type: "send", to: e.from, message: accept });
      }
    };
    a.t.apply({ type: "connect", peer: b.self });
    a.t.apply({ type: "send", to: b.self, message: neighbor });
    await waitFor(() => a.messages().length === 1, "reply at a");

    expect(b.messages()).toEqual([neighbor]);
    expect(a.messages()).toEqual([accept]);
    expect(b.of("linkUp").map((e) => e.peer)).toEqual([a.self]);
    expect(a.of("linkUp").map((e) => e.peer)).toEqual([b.self]);
    expect(b.of("message")[0]!.from).toEqual(a.self);
    expect(a.t.stats()).toMatchObject({ links: 1, activeLinks: 1, dials: 1 });
    expect(b.t.stats()).toMatchObject({ links: 1, activeLinks: 1, dials: 0, inbound: 1 });
  });

  it("keeps messages in order, queued while the link is still dialling", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    const sent: Message[] = Array.from({ length: 50 }, (_, i) => ({ kind: "join", requestId: i }));
    for (const m of sent) a.t.apply({ type: "send", to: b.self, message: m });
    await waitFor(() => b.messages().length === 50, "50 messages at b");
    expect(b.messages()).toEqual(sent);
    expect(a.t.stats().dials).toBe(1);
  });

  it("runs a short-lived exchange: the reply comes back on the same link, then both ends close it quietly", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    const shuffle: Message = { kind: "shuffle", origin: a.self, entries: [a.self], ttl: 0, shuffleId: 7 };
    const reply: Message = { kind: "shuffleReply", shuffleId: 7, entries: [] };
    b.react = (e) => {
      if (e.type === "message" && e.message.kind === "shuffle") b.t.apply({ type: "send", to: e.from, message: reply });
    };
    a.t.apply({ type: "send", to: b.self, message: shuffle });
    await waitFor(() => a.messages().length === 1, "shuffle reply at a");
    expect(a.messages()).toEqual([reply]);
    expect(b.t.stats().dials).toBe(0); // b answered on a's link

    const t0 = Date.now();
    await waitFor(() => a.t.stats().links === 0 && b.t.stats().links === 0, "short link closed", 3 * TIMING.exchangeTimeoutMs);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMING.exchangeTimeoutMs / 2);
    expect([...a.of("linkLost"), ...b.of("linkLost")]).toEqual([]);
  });

  it("reports linkLost at once when the other end of an active link goes away", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    a.t.apply({ type: "connect", peer: b.self });
    b.react = (e) => {
      if (e.type === "linkUp") b.t.apply({ type: "connect", peer: e.peer });
    };
    await waitFor(() => a.of("linkUp").length === 1 && b.t.stats().activeLinks === 1, "link up");

    const t0 = Date.now();
    await b.t.close();
    await waitFor(() => a.of("linkLost").length === 1, "linkLost at a");
    expect(Date.now() - t0).toBeLessThan(TIMING.failureTimeoutMs / 2); // not the failure timeout
    expect(a.of("linkLost")[0]!.peerId).toBe("b");
    expect(a.t.stats().links).toBe(0);
  });

  it("disconnect flushes the queued DISCONNECT, ends the link, and reports no linkLost on either side", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    b.react = (e) => {
      if (e.type === "linkUp") b.t.apply({ type: "connect", peer: e.peer });
      // b's core drops a from its active view on DISCONNECT.
      if (e.type === "message" && e.message.kind === "disconnect") b.t.apply({ type: "disconnect", peerId: e.from.id });
    };
    a.t.apply({ type: "connect", peer: b.self });
    await waitFor(() => b.t.stats().activeLinks === 1, "b active");

    a.t.apply({ type: "send", to: b.self, message: { kind: "disconnect", leaving: false } });
    a.t.apply({ type: "disconnect", peerId: "b" });
    await waitFor(() => a.t.stats().links === 0 && b.t.stats().links === 0, "link closed");
    expect(b.messages()).toEqual([{ kind: "disconnect", leaving: false }]);
    expect([...a.of("linkLost"), ...b.of("linkLost")]).toEqual([]);
  });

  it("disconnect on a link still dialling delivers its queue first", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    a.t.apply({ type: "connect", peer: b.self });
    a.t.apply({ type: "send", to: b.self, message: { kind: "disconnect", leaving: true } });
    a.t.apply({ type: "disconnect", peerId: "b" });
    await waitFor(() => b.messages().length === 1, "DISCONNECT at b");
    await waitFor(() => a.t.stats().links === 0 && b.t.stats().links === 0, "link closed");
    expect(a.of("linkLost")).toEqual([]);
  });

  it("reports a send to an unreachable peer as linkLost, after apply() returned", async () => {
    const a = await startNode("a");
    const dead = await startNode("dead");
    const deadSelf = dead.self;
    await closeAll();
    const a2 = await startNode("a2");
    void a;
    let inApply = false;
    a2.react = () => expect(inApply).toBe(false);
    inApply = true;
    a2.t.apply({ type: "send", to: deadSelf, message: { kind: "join", requestId: 1 } });
    inApply = false;
    await waitFor(() => a2.of("linkLost").length === 1, "linkLost for the dead peer");
    expect(a2.of("linkLost")[0]!.peerId).toBe("dead");
    expect(a2.t.stats().dialFailures).toBe(1);
  });

  it("a dial that reaches another node than the one named is refused and reported lost", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    const wrong = { ...b.self, id: "c" };
    a.t.apply({ type: "send", to: wrong, message: { kind: "join", requestId: 1 } });
    await waitFor(() => a.of("linkLost").length === 1, "linkLost");
    expect(a.of("linkLost")[0]!.peerId).toBe("c");
    expect(b.events).toEqual([]);
    expect(b.t.stats().refused).toBe(1);
  });
});
