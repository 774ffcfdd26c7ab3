import { describe, expect, it } from "vitest";
import { MembershipState, type MembershipEvent } from "../../src/membership/state.js";
import type { PeerRecord } from "../../src/protocol/index.js";

const peer = (id: string, incarnation = 1): PeerRecord => ({ id, address: `${id}.test:4500`, incarnation, metadata: {} });

describe("MembershipState", () => {
  it("counts one revision per change and keeps confirmed peers by id", () => {
    const passive = [peer("p")];
    const s = new MembershipState(peer("self"), () => passive);
    expect(s.snapshot()).toEqual({ revision: 0, self: peer("self"), active: [], passive });
    s.peerUp(peer("a"));
    s.peerUp(peer("b"));
    s.peerDown(peer("a"), "failed");
    // A newer incarnation coming up replaces the record, still one entry per id.
    s.peerUp(peer("b", 2));
    const snap = s.snapshot();
    expect(snap.revision).toBe(4);
    expect(snap.active).toEqual([peer("b", 2)]);
  });

  it("replay hands the snapshot first, then every later event with contiguous revisions", () => {
    const s = new MembershipState(peer("self"), () => []);
    s.peerUp(peer("a"));
    const seen: MembershipEvent[] = [];
    s.subscribe((e) => seen.push(e), { replay: true });
    s.peerUp(peer("b"));
    s.peerDown(peer("a"), "left");
    expect(seen.map((e) => [e.type, e.revision])).toEqual([
      ["snapshot", 1],
      ["peerUp", 2],
      ["peerDown", 3],
    ]);
    expect(seen[0]).toMatchObject({ active: [peer("a")] });
    expect(seen[2]).toMatchObject({ peer: peer("a"), reason: "left" });
  });

  it("without replay there is no snapshot; unsubscribe stops delivery", () => {
    const s = new MembershipState(peer("self"), () => []);
    const seen: string[] = [];
    const off = s.subscribe((e) => seen.push(e.type));
    s.peerUp(peer("a"));
    off();
    off();
    s.peerUp(peer("b"));
    expect(seen).toEqual(["peerUp"]);
    expect(s.subscribers).toBe(0);
  });

  it("a throwing listener does not keep the event from the others", () => {
    const errors: unknown[] = [];
    const s = new MembershipState(peer("self"), () => [], (e) => errors.push(e));
    const seen: number[] = [];
    s.subscribe(() => {
      throw new Error("boom");
    });
    s.subscribe((e) => seen.push(e.revision));
    s.peerUp(peer("a"));
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it("a listener subscribed during a delivery starts with the next event (its snapshot has this one)", () => {
    const s = new MembershipState(peer("self"), () => []);
    const late: MembershipEvent[] = [];
    let added = false;
    s.subscribe(() => {
      if (added) return;
      added = true;
      s.subscribe((e) => late.push(e), { replay: true });
    });
    s.peerUp(peer("a"));
    s.peerUp(peer("b"));
    expect(late.map((e) => [e.type, e.revision])).toEqual([
      ["snapshot", 1],
      ["peerUp", 2],
    ]);
  });
});
