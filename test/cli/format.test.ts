import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  PeerDownReason,
  WatchMembershipResponseSchema,
  type WatchMembershipResponse,
} from "../../gen/hyparview/v1/membership_pb.js";
import { membersTable, membersView, table, watchEvent, watchJson, watchLine } from "../../src/cli/format.js";

const n1 = { id: "n1", address: "127.0.0.1:4500", metadata: { zone: "eu", app: "x" } };
const n2 = { id: "n2", address: "127.0.0.1:4502", metadata: {} };
const n3 = { id: "n3", address: "127.0.0.1:4503", metadata: {} };
const AT = new Date("2024-05-01T10:20:30.456Z");

function msg(init: Parameters<typeof create<typeof WatchMembershipResponseSchema>>[1]): WatchMembershipResponse {
  return create(WatchMembershipResponseSchema, init);
}

describe("CLI output", () => {
  it("turns a snapshot into plain values with a numeric revision", () => {
    const m = msg({ revision: 7n, event: { case: "snapshot", value: { self: n1, active: [n2], passive: [n3] } } });
    expect(watchEvent(m)).toEqual({ type: "snapshot", revision: 7, self: n1, active: [n2], passive: [n3] });
  });

  it("names every peer_down reason", () => {
    const reasons = [
      [PeerDownReason.FAILED, "failed"],
      [PeerDownReason.DISCONNECTED, "disconnected"],
      [PeerDownReason.LEFT, "left"],
      [PeerDownReason.UNSPECIFIED, "unspecified"],
    ] as const;
    for (const [reason, text] of reasons) {
      const e = watchEvent(msg({ revision: 9n, event: { case: "peerDown", value: { peer: n2, reason } } }));
      expect(e).toEqual({ type: "peer_down", revision: 9, peer: n2, reason: text });
    }
  });

  it("prints watch lines for people and one JSON object per line for machines", () => {
    const up = watchEvent(msg({ revision: 8n, event: { case: "peerUp", value: { peer: n3 } } }))!;
    expect(watchLine(up, AT)).toBe("10:20:30.456 rev 8     up        n3 127.0.0.1:4503\n");
    const line = watchJson(up, AT);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.trimEnd()).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ type: "peer_up", revision: 8, peer: n3, time: AT.toISOString() });
    const down = watchEvent(msg({ revision: 9n, event: { case: "peerDown", value: { peer: n2, reason: PeerDownReason.LEFT } } }))!;
    expect(watchLine(down, AT)).toContain("down      n2 127.0.0.1:4502 (left)");
    const snap = watchEvent(msg({ revision: 1n, event: { case: "snapshot", value: { self: n1 } } }))!;
    expect(watchLine(snap, AT)).toContain("snapshot  n1 127.0.0.1:4500; active: (none)");
  });

  it("prints members as an aligned table with a summary", () => {
    const text = membersTable(membersView(12n, { self: n1, active: [n2], passive: [n3] } as never));
    expect(text).toBe(
      [
        "VIEW     ID  ADDRESS         METADATA",
        "self     n1  127.0.0.1:4500  app=x,zone=eu",
        "active   n2  127.0.0.1:4502",
        "passive  n3  127.0.0.1:4503",
        "revision 12: 1 active, 1 passive",
        "",
      ].join("\n"),
    );
  });

  it("pads columns to the widest cell", () => {
    expect(table([["a", "bb"], ["ccc", "d"]])).toBe("a    bb\nccc  d\n");
  });
});
