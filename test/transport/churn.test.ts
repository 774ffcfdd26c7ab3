import { afterEach, describe, expect, it } from "vitest";
import { SeededRng, randomInt } from "../../src/protocol/rng.js";
import { closeAll, startNode, waitFor, type TestNode } from "./harness.js";

afterEach(closeAll);

const SEED = Number(process.env.SEED ?? 7);

/** Every pair of nodes that linked: one stream, seen from both ends. */
function pairsConsistent(nodes: TestNode[]): string[] {
  const problems: string[] = [];
  for (const x of nodes) {
    const mine = x.t.linkInfo();
    for (const y of nodes) {
      if (x === y) continue;
      const xy = mine.filter((l) => l.peerId === y.self.id);
      const yx = y.t.linkInfo().filter((l) => l.peerId === x.self.id);
      if (xy.length !== 1 || yx.length !== 1) {
        problems.push(`${x.self.id}->${y.self.id}: ${xy.length} links, back: ${yx.length}`);
        continue;
      }
      if (xy[0]!.dialled === yx[0]!.dialled) problems.push(`${x.self.id}<->${y.self.id}: both ends claim the same side`);
    }
  }
  return problems;
}

describe("churn (seeded: SEED=" + SEED + ")", () => {
  it("random connects, sends and disconnects, then everyone connects to everyone at once: one link per pair", async () => {
    const rng = new SeededRng(SEED);
    const nodes: TestNode[] = [];
    for (const id of ["n1", "n2", "n3", "n4", "n5"]) nodes.push(await startNode(id));
    const pick = () => nodes[randomInt(rng, nodes.length)]!;
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 10; k++) {
        const x = pick();
        const y = pick();
        if (x === y) continue;
        const r = randomInt(rng, 3);
        if (r === 0) x.t.apply({ type: "connect", peer: y.self });
        else if (r === 1) x.t.apply({ type: "send", to: y.self, message: { kind: "join", requestId: round } });
        else {
          x.t.apply({ type: "send", to: y.self, message: { kind: "disconnect", leaving: false } });
          x.t.apply({ type: "disconnect", peerId: y.self.id });
        }
      }
      await new Promise((r) => setImmediate(r)); // let some of it interleave with the network
    }
    // The random ops leave links in every state, some active on one side only (nothing here
    // plays the core that would repair that). Everyone now drops everyone: every link must go,
    // none may linger (parked, stuck, half-closed).
    for (const x of nodes) for (const y of nodes) if (x !== y) x.t.apply({ type: "disconnect", peerId: y.self.id });
    await waitFor(() => nodes.every((n) => n.t.stats().links === 0), "every link gone", 5000);

    // Then everyone connects to everyone in the same tick, and sends a marked message: every
    // pair dials both ways at once.
    for (const n of nodes) n.events.length = 0;
    for (const x of nodes) for (const y of nodes) if (x !== y) x.t.apply({ type: "connect", peer: y.self });
    for (const x of nodes) for (const y of nodes) if (x !== y) x.t.apply({ type: "send", to: y.self, message: { kind: "join", requestId: 999 } });
    await waitFor(
      () => nodes.every((n) => n.t.linkInfo().every((l) => l.state === "open") && n.t.stats().links === nodes.length - 1),
      "settled: one open link per peer on every node",
      5000,
    );
    expect(pairsConsistent(nodes)).toEqual([]);
    for (const y of nodes) {
      await waitFor(
        () => y.of("message").filter((e) => e.message.kind === "join" && e.message.requestId === 999).length === nodes.length - 1,
        `marked message from every peer at ${y.self.id}`,
      );
    }
    expect(nodes.flatMap((n) => n.of("linkLost"))).toEqual([]);
  });
});
