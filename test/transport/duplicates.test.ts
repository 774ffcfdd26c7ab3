import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { closeAll, linkedPair, startNode, type TestNode, waitFor } from "./harness.js";
import { rawDial, startRawPeer } from "./rawpeer.js";

afterEach(closeAll);

const join = (requestId: number): Message => ({ kind: "join", requestId });

/** Both nodes connect to each other and send in the same tick, as two cores evicting and
 * promoting at once would. */
async function dialEachOther(x: TestNode, y: TestNode, n: number): Promise<void> {
  x.t.apply({ type: "connect", peer: y.self });
  y.t.apply({ type: "connect", peer: x.self });
  for (let i = 0; i < n; i++) {
    x.t.apply({ type: "send", to: y.self, message: join(i) });
    y.t.apply({ type: "send", to: x.self, message: join(100 + i) });
  }
  await waitFor(() => x.messages().length === n && y.messages().length === n, "all messages delivered");
  await waitFor(() => x.t.stats().links === 1 && y.t.stats().links === 1, "one link left on each side");
}

describe("duplicate links", () => {
  it.each([
    ["a", "b"],
    ["z", "y"],
  ])("a simultaneous dial between %s and %s leaves exactly one link, the one dialled by the smaller id", async (i, j) => {
    const x = await startNode(i);
    const y = await startNode(j);
    await dialEachOther(x, y, 5);
    // Nothing lost, nothing reordered, nothing reported.
    expect(y.messages()).toEqual([0, 1, 2, 3, 4].map(join));
    expect(x.messages()).toEqual([100, 101, 102, 103, 104].map(join));
    expect([...x.of("linkLost"), ...y.of("linkLost")]).toEqual([]);
    expect(x.t.stats().duplicatesClosed + y.t.stats().duplicatesClosed).toBeGreaterThanOrEqual(1);
    const smaller = i < j ? x : y;
    const larger = i < j ? y : x;
    expect(smaller.t.linkInfo()).toMatchObject([{ dialled: true, active: true, state: "open" }]);
    expect(larger.t.linkInfo()).toMatchObject([{ dialled: false, active: true, state: "open" }]);
    // The survivor works both ways.
    x.t.apply({ type: "send", to: y.self, message: join(9) });
    y.t.apply({ type: "send", to: x.self, message: join(109) });
    await waitFor(() => x.messages().length === 6 && y.messages().length === 6, "after-settle messages");
  });

  it("settles the same way over many rounds", async () => {
    const x = await startNode("m");
    const y = await startNode("n");
    for (let round = 0; round < 5; round++) {
      x.events.length = 0;
      y.events.length = 0;
      await dialEachOther(x, y, 3);
      expect([...x.of("linkLost"), ...y.of("linkLost")]).toEqual([]);
      x.t.apply({ type: "disconnect", peerId: "n" });
      y.t.apply({ type: "disconnect", peerId: "m" });
      await waitFor(() => x.t.stats().links === 0 && y.t.stats().links === 0, "closed");
    }
  });

  it("a contact dial to a node we already have a link with moves its JOIN onto that link", async () => {
    const { a, b } = await linkedPair();
    a.t.apply({ type: "sendToContact", address: b.self.address, message: join(1) });
    await waitFor(() => b.messages().length === 1, "JOIN at b");
    await waitFor(() => a.t.stats().links === 1 && b.t.stats().links === 1, "one link each");
    expect(a.t.linkInfo()).toMatchObject([{ peerId: "b", active: true }]);
    expect([...a.of("linkLost"), ...b.of("linkLost"), ...a.of("contactFailed")]).toEqual([]);
  });
});

describe("incarnations", () => {
  it("a newer incarnation replaces the older link; an older one is then refused", async () => {
    const b = await startNode("b");
    b.react = (e) => {
      if (e.type === "linkUp") b.t.apply({ type: "connect", peer: e.peer });
    };
    const old = await startNode("a", { incarnation: 1 });
    old.t.apply({ type: "connect", peer: b.self });
    await waitFor(() => b.t.stats().activeLinks === 1, "old run linked");

    const fresh = await startNode("a", { incarnation: 2 });
    fresh.t.apply({ type: "connect", peer: b.self });
    fresh.t.apply({ type: "send", to: b.self, message: join(1) });
    await waitFor(() => b.messages().length === 1, "message from the new run");
    expect(b.of("message")[0]!.from).toEqual(fresh.self);
    expect(b.of("linkUp").map((e) => e.peer.incarnation)).toEqual([1, 2]);
    expect(b.t.stats()).toMatchObject({ replaced: 1, links: 1 });
    expect(b.of("linkLost")).toEqual([]); // the core learns from linkUp, not from a loss
    await waitFor(() => old.of("linkLost").length === 1, "the old run lost its link");

    // The old run tries again: refused, reported lost on its side; the new link is untouched.
    old.t.apply({ type: "send", to: b.self, message: join(2) });
    await waitFor(() => old.of("linkLost").length === 2, "old run refused");
    expect(b.t.stats()).toMatchObject({ refused: 1, links: 1 });
    expect(b.messages()).toHaveLength(1);
    expect(fresh.of("linkLost")).toEqual([]);
  });
});

describe("a dial refused as a duplicate (ALREADY_EXISTS)", () => {
  const raws: { close(): unknown }[] = [];
  afterEach(async () => {
    await Promise.all(raws.splice(0).map((r) => r.close()));
  });

  it("parks its queue until the refusing peer's own link arrives, then delivers it there", async () => {
    const peer = await startRawPeer("a", "already-exists"); // "a" < "z": a's own dial wins
    raws.push(peer);
    const z = await startNode("z");
    z.t.apply({ type: "connect", peer: peer.self });
    z.t.apply({ type: "send", to: peer.self, message: join(1) });
    z.t.apply({ type: "send", to: peer.self, message: join(2) });
    await waitFor(() => z.t.linkInfo()[0]?.state === "parked", "z's dial parked");
    expect(z.t.linkInfo()).toMatchObject([{ peerId: "a", active: true, queued: 2 }]);

    const dial = rawDial(peer.self, z.self); // a's winning link reaches z
    raws.push(dial);
    await waitFor(() => dial.received.length === 3, "handshake + the two parked messages on a's link");
    expect(dial.received.map((m) => m.body.case)).toEqual(["handshake", "join", "join"]);
    expect(z.t.linkInfo()).toMatchObject([{ peerId: "a", dialled: false, active: true, state: "open", queued: 0 }]);
    expect(z.of("linkLost")).toEqual([]);
  });

  it("reports the peer lost when its own link never comes", async () => {
    const peer = await startRawPeer("a", "already-exists");
    raws.push(peer);
    const z = await startNode("z");
    z.t.apply({ type: "connect", peer: peer.self });
    await waitFor(() => z.t.linkInfo()[0]?.state === "parked", "z's dial parked");
    await waitFor(() => z.of("linkLost").length === 1, "linkLost", 2000);
    expect(z.t.stats().links).toBe(0);
  });
});
