import os from "node:os";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { NodeOptionsError, startNode, type HyParViewNode, type MembershipEvent, type NodeOptions } from "../../src/index.js";
import { waitFor } from "../membership/helpers.js";
import { FAST } from "../integration/cluster.js";

const logger = pino({ level: process.env.LOG ?? "silent" });
const opened: HyParViewNode[] = [];

async function start(options: NodeOptions): Promise<HyParViewNode> {
  const node = await startNode({ ...FAST, listen: "127.0.0.1:0", apiListen: null, logger, ...options });
  opened.push(node);
  return node;
}

afterAll(async () => {
  await Promise.all(opened.map((n) => n.close()));
});

describe("startNode options", () => {
  const cases: [string, NodeOptions, RegExp][] = [
    ["id", { id: "" }, /^id: id is empty/],
    ["id", { id: "x".repeat(300) }, /^id: .*256/],
    ["listen", { listen: "nope" }, /^listen: "nope" is not host:port/],
    ["listen", { listen: "127.0.0.1:70000" }, /^listen: .*0-65535/],
    ["apiListen", { apiListen: "127.0.0.1" }, /^apiListen: /],
    ["advertise", { advertise: "h:0" }, /^advertise: "h:0" is not host:port with a port 1-65535/],
    ["contacts[1]", { contacts: ["ok:1", "bad"] }, /^contacts\[1\]: "bad" is not host:port/],
    ["metadata", { metadata: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "v"])) }, /^metadata: 40 metadata entries/],
    ["protocol.activeViewSize", { protocol: { activeViewSize: 0 } }, /^protocol\.activeViewSize: must be an integer >= 1/],
    ["protocol.prwl", { protocol: { arwl: 2, prwl: 3 } }, /^protocol\.prwl: must be <= arwl/],
    ["heartbeatIntervalMs", { heartbeatIntervalMs: 0 }, /^heartbeatIntervalMs: must be an integer >= 1/],
    ["failureTimeoutMs", { heartbeatIntervalMs: 500, failureTimeoutMs: 500 }, /^failureTimeoutMs: must be > heartbeatIntervalMs/],
    ["seed", { seed: 1.5 }, /^seed: /],
    ["incarnation", { incarnation: -1 }, /^incarnation: /],
    ["logLevel", { logLevel: "loud" as never, logger: undefined }, /^logLevel: must be one of/],
  ];
  it.each(cases)("refuses a bad %s, naming it", async (option, options, message) => {
    const err = await startNode({ listen: "127.0.0.1:0", apiListen: null, logger, ...options }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeOptionsError);
    expect((err as NodeOptionsError).option).toBe(option);
    expect((err as Error).message).toMatch(message);
  });

  it("derives the advertised address: a wildcard host becomes the hostname, port 0 the bound port", async () => {
    const local = await start({ id: "local" });
    expect(local.address).toMatch(/^127\.0\.0\.1:[1-9][0-9]*$/);
    const wild = await start({ id: "wild", listen: "0.0.0.0:0" });
    expect(wild.address).toMatch(new RegExp(`^${os.hostname().replace(/\./g, "\\.")}:[1-9][0-9]*$`));
    const given = await start({ id: "given", advertise: "node.example:4500" });
    expect(given.address).toBe("node.example:4500");
    expect(given.apiAddress).toBeNull();
    expect(given.self).toMatchObject({ id: "given", address: "node.example:4500", metadata: {} });
  });
});

describe("an in-process node", () => {
  it("subscribe with replay: the snapshot, then every event with no gap, as peers come and go", async () => {
    const a = await start({ id: "a", seed: 1 });
    const events: MembershipEvent[] = [];
    const off = a.subscribe((e) => events.push(e), { replay: true });
    expect(events).toEqual([{ type: "snapshot", revision: 0, self: a.self, active: [], passive: [] }]);

    const b = await start({ id: "b", contacts: [a.address], seed: 2 });
    await waitFor("b up on a", () => a.members().active.some((p) => p.id === "b"));
    // A second subscriber mid-stream: its snapshot already holds b, then it continues without a gap.
    const late: MembershipEvent[] = [];
    a.subscribe((e) => late.push(e), { replay: true });
    expect(late[0]).toMatchObject({ type: "snapshot", revision: a.members().revision });
    expect(late[0]?.type === "snapshot" && late[0].active.map((p) => p.id)).toEqual(["b"]);

    await b.close();
    await waitFor("b down on a", () => a.members().active.length === 0);
    for (const seen of [events, late]) {
      seen.forEach((e, i) => expect(e.revision).toBe(seen[0]!.revision + i));
    }
    expect(events.slice(1).map((e) => e.type)).toEqual(["peerUp", "peerDown"]);
    expect(events[2]).toMatchObject({ type: "peerDown", peer: { id: "b" }, reason: "failed" });
    off();
    expect(a.stats().revision).toBe(2);
  });

  it("a listener may call join: the driver takes it after the current input", async () => {
    const a = await start({ id: "ra", seed: 3 });
    const c = await start({ id: "rc", seed: 4 });
    const b = await start({ id: "rb", contacts: [a.address], seed: 5 });
    let joined = false;
    b.subscribe((e) => {
      if (e.type === "peerUp" && !joined) {
        joined = true;
        b.join([c.address]);
      }
    });
    await waitFor("rb linked to ra and rc", () => {
      const ids = b.members().active.map((p) => p.id);
      return ids.includes("ra") && ids.includes("rc");
    });
    expect(b.stats().errors).toBe(0);
  });

  it("join validates its contacts; leave is graceful and idempotent; close is idempotent", async () => {
    const a = await start({ id: "la", seed: 6 });
    const b = await start({ id: "lb", contacts: [a.address], seed: 7 });
    await waitFor("linked", () => a.members().active.length === 1 && b.members().active.length === 1);
    expect(() => b.join([])).toThrow(/contacts: at least one/);
    expect(() => b.join(["x:0"])).toThrow(NodeOptionsError);
    const downs: MembershipEvent[] = [];
    a.subscribe((e) => downs.push(e));
    const leaving = b.leave();
    expect(b.leave()).toBe(leaving);
    await leaving;
    expect(b.phase).toBe("left");
    await waitFor("a sees lb leave", () => downs.length === 1);
    expect(downs[0]).toMatchObject({ type: "peerDown", peer: { id: "lb" }, reason: "left" });
    expect(() => b.join([a.address])).toThrow(/left/);
    await b.close();
    await b.close();
    expect(b.phase).toBe("closed");
  });
});
