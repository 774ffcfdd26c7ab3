import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import { closeAll, startNode, waitFor } from "./harness.js";

afterEach(closeAll);

const join: Message = { kind: "join", requestId: 1 };

/** A port nothing listens on: bound once by the OS, then released. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("sendToContact", () => {
  it("delivers the JOIN and keys the link by the id the contact's handshake names", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    b.react = (e) => {
      if (e.type === "message" && e.message.kind === "join") {
        b.t.apply({ type: "connect", peer: e.from });
        b.t.apply({ type: "send", to: e.from, message: { kind: "neighborReply", requestId: 1, accepted: true } });
      }
    };
    a.t.apply({ type: "sendToContact", address: b.self.address, message: join });
    await waitFor(() => a.messages().length === 1, "reply at a");
    expect(b.of("message")[0]).toMatchObject({ from: a.self, message: join });
    expect(a.of("linkUp").map((e) => e.peer)).toEqual([b.self]);
    // The core now connects to b by id: the contact link is reused.
    a.t.apply({ type: "connect", peer: b.self });
    expect(a.t.linkInfo()).toMatchObject([{ peerId: "b", active: true, state: "open" }]);
    expect(a.t.stats().dials).toBe(1);
  });

  it("reports contactFailed for a dead port, after apply() returned", async () => {
    const a = await startNode("a");
    const address = `127.0.0.1:${await deadPort()}`;
    a.t.apply({ type: "sendToContact", address, message: join });
    expect(a.events).toEqual([]);
    await waitFor(() => a.of("contactFailed").length === 1, "contactFailed");
    expect(a.of("contactFailed")[0]!.address).toBe(address);
    expect(a.of("linkLost")).toEqual([]);
  });

  it("reports contactFailed when the contact is this node itself", async () => {
    const a = await startNode("a");
    a.t.apply({ type: "sendToContact", address: a.self.address, message: join });
    await waitFor(() => a.of("contactFailed").length === 1, "contactFailed");
    expect(a.events.map((e) => e.type)).toEqual(["contactFailed"]);
    await waitFor(() => a.t.stats().links === 0, "no link left");
  });

  it("reports contactFailed for an address that is not host:port", async () => {
    const a = await startNode("a");
    a.t.apply({ type: "sendToContact", address: "not-an-address", message: join });
    await waitFor(() => a.of("contactFailed").length === 1, "contactFailed");
  });

  it("tries every address a DNS name holds (localhost: ::1 and/or 127.0.0.1, only the latter listens)", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    const port = b.self.address.split(":")[1];
    a.t.apply({ type: "sendToContact", address: `localhost:${port}`, message: join });
    await waitFor(() => b.messages().length === 1, "JOIN at b");
    expect(a.of("contactFailed")).toEqual([]);
  });
});
