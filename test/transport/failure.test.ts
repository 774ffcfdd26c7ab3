import { afterEach, describe, expect, it } from "vitest";
import { closeAll, holdsFor, linkedPair, startNode, TIMING, waitFor } from "./harness.js";
import { startRawPeer, type RawPeer } from "./rawpeer.js";

const raws: RawPeer[] = [];
afterEach(async () => {
  await closeAll();
  await Promise.all(raws.splice(0).map((r) => r.close()));
});

describe("transport failure detection", () => {
  it("keeps an idle active link alive with heartbeats well past the failure timeout", async () => {
    const { a, b } = await linkedPair();
    // The property itself is about time: nothing may be reported for 2x the failure timeout.
    await holdsFor(() => a.of("linkLost").length === 0 && b.of("linkLost").length === 0, "no linkLost", 2 * TIMING.failureTimeoutMs);
    expect(a.t.stats().heartbeatsSent).toBeGreaterThan(3);
    expect(b.t.stats().heartbeatsSent).toBeGreaterThan(3);
    expect(a.messages()).toEqual([]); // heartbeats never reach the handlers
  });

  it("reports a peer that handshakes and then hangs as lost after the failure timeout", async () => {
    const hung = await startRawPeer("hung", "handshake");
    raws.push(hung);
    const a = await startNode("a");
    a.t.apply({ type: "connect", peer: hung.self });
    await waitFor(() => a.of("linkUp").length === 1, "handshake with the hung peer");
    const up = Date.now();
    await waitFor(() => a.of("linkLost").length === 1, "linkLost", 3 * TIMING.failureTimeoutMs);
    const after = Date.now() - up;
    expect(after).toBeGreaterThanOrEqual(TIMING.failureTimeoutMs - 20);
    expect(after).toBeLessThan(TIMING.failureTimeoutMs + 400);
    expect(a.of("linkLost")[0]!.peerId).toBe("hung");
    expect(a.t.stats()).toMatchObject({ heartbeatTimeouts: 1, links: 0 });
  });

  it("treats a queue over queueLimit as a failed peer (the paper's rule for slow nodes)", async () => {
    const silent = await startRawPeer("slow", "silent"); // never answers the handshake: nothing flushes
    raws.push(silent);
    const a = await startNode("a", { queueLimit: 4 });
    a.t.apply({ type: "connect", peer: silent.self });
    for (let i = 0; i < 4; i++) a.t.apply({ type: "send", to: silent.self, message: { kind: "join", requestId: i } });
    expect(a.t.stats().queued).toBe(4);
    a.t.apply({ type: "send", to: silent.self, message: { kind: "join", requestId: 4 } });
    expect(a.of("linkLost")).toEqual([]); // never from inside apply()
    await waitFor(() => a.of("linkLost").length === 1, "linkLost after overflow", 200);
    expect(a.t.stats()).toMatchObject({ queueOverflows: 1, links: 0, queued: 0 });
  });

  it("declares a peer that stops reading (and sending) failed while we keep sending, with a bounded queue", async () => {
    // Note: grpc-js completes client writes once Node's HTTP/2 layer holds them, before flow
    // control lets them out, so a peer that stops reading shows up as silence (no heartbeats),
    // not as a full queue. The queue bound matters while dialling and under grpc back-pressure.
    const slow = await startRawPeer("slow", "handshake-then-stop-reading");
    raws.push(slow);
    const a = await startNode("a", { queueLimit: 16 });
    a.t.apply({ type: "connect", peer: slow.self });
    await waitFor(() => a.of("linkUp").length === 1, "handshake");
    const up = Date.now();
    const big = { kind: "shuffleReply", shuffleId: 1, entries: Array.from({ length: 8 }, () => a.self) } as const;
    let maxQueued = 0;
    while (a.of("linkLost").length === 0 && Date.now() - up < 3 * TIMING.failureTimeoutMs) {
      for (let i = 0; i < 20; i++) a.t.apply({ type: "send", to: slow.self, message: big });
      maxQueued = Math.max(maxQueued, a.t.stats().queued);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(a.of("linkLost").map((e) => e.peerId)).toEqual(["slow"]);
    expect(Date.now() - up).toBeLessThan(TIMING.failureTimeoutMs + 400);
    expect(maxQueued).toBeLessThanOrEqual(16);
  });

  it("gives up a dial whose handshake never comes back after exchangeTimeoutMs", async () => {
    const silent = await startRawPeer("mute", "silent");
    raws.push(silent);
    const a = await startNode("a");
    const t0 = Date.now();
    a.t.apply({ type: "send", to: silent.self, message: { kind: "join", requestId: 1 } });
    await waitFor(() => a.of("linkLost").length === 1, "linkLost", 3 * TIMING.exchangeTimeoutMs);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMING.exchangeTimeoutMs - 20);
    expect(a.t.stats().dialFailures).toBe(1);
  });

  it("closes an inbound link that was never made active once idle (1.5 x exchangeTimeoutMs), reporting nothing", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    // a keeps the link active (heartbeats flow) but b's core never connects: b idles it out,
    // and a, whose active link ended, reports it lost.
    a.t.apply({ type: "connect", peer: b.self });
    await waitFor(() => b.of("linkUp").length === 1, "b sees a");
    await waitFor(() => b.t.stats().links === 0, "b closed the idle inbound link", 3 * TIMING.exchangeTimeoutMs);
    expect(b.of("linkLost")).toEqual([]);
    await waitFor(() => a.of("linkLost").length === 1, "a reports its one-sided active link lost");
  });
});

describe("a stall of our own event loop", () => {
  afterEach(closeAll);

  it("is not taken for the silence of our peers", async () => {
    const { a, b } = await linkedPair();
    // Block this process (both nodes) for longer than the failure timeout, as a GC pause or a
    // starved CPU would.
    const until = Date.now() + TIMING.failureTimeoutMs + 300;
    while (Date.now() < until) {
      /* busy */
    }
    await holdsFor(() => a.of("linkLost").length === 0 && b.of("linkLost").length === 0, "no linkLost", TIMING.failureTimeoutMs);
    expect(a.t.stats().activeLinks).toBe(1);
  });
});
