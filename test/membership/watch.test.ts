/** Watch stream logic against a fake grpc-js call whose write() says when to stop. */
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { MembershipState } from "../../src/membership/state.js";
import { Watch, type WatchCall } from "../../src/membership/watch.js";
import type { PeerRecord } from "../../src/protocol/index.js";

const peer = (id: string): PeerRecord => ({ id, address: `${id}.test:1`, incarnation: 1, metadata: {} });

class FakeCall extends EventEmitter implements WatchCall {
  readonly written: { revision?: bigint; event?: { case?: string } }[] = [];
  accept = true;
  cancelled = false;
  ended = false;
  status: Partial<grpc.StatusObject> | null = null;
  write(m: object): boolean {
    this.written.push(m as (typeof this.written)[number]);
    return this.accept;
  }
  end(): void {
    this.ended = true;
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === "error") this.status = args[0] as Partial<grpc.StatusObject>;
    return super.emit(event, ...args);
  }
}

describe("Watch", () => {
  it("stops writing when write() returns false, keeps events, and resumes on 'drain'", () => {
    const state = new MembershipState(peer("self"), () => []);
    const call = new FakeCall();
    const ends: string[] = [];
    const w = new Watch(call, { includePassive: false, bufferLimit: 10, onEnd: (why) => ends.push(why) });
    call.accept = false;
    w.start(state);
    expect(call.written).toHaveLength(1); // the snapshot, then "wait for drain"
    state.peerUp(peer("a"));
    state.peerUp(peer("b"));
    expect(call.written).toHaveLength(1);
    expect(w.buffered).toBe(2);
    call.accept = true;
    call.emit("drain");
    expect(call.written.map((m) => m.revision)).toEqual([0n, 1n, 2n]);
    expect(w.buffered).toBe(0);
    call.emit("cancelled");
    expect(state.subscribers).toBe(0);
    expect(ends).toEqual(["cancelled"]);
  });

  it("past its buffer limit the stream ends with RESOURCE_EXHAUSTED and stops listening", () => {
    const state = new MembershipState(peer("self"), () => []);
    const call = new FakeCall();
    const ends: string[] = [];
    const w = new Watch(call, { includePassive: false, bufferLimit: 3, onEnd: (why) => ends.push(why) });
    call.accept = false;
    w.start(state);
    for (const id of ["a", "b", "c"]) state.peerUp(peer(id));
    expect(call.status).toBeNull();
    state.peerUp(peer("d"));
    expect(call.status?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(ends).toEqual(["overflow"]);
    expect(state.subscribers).toBe(0);
    expect(w.buffered).toBe(0);
    call.emit("drain");
    expect(call.written).toHaveLength(1);
  });

  it("a call already cancelled never subscribes; close() ends the stream normally", () => {
    const state = new MembershipState(peer("self"), () => []);
    const gone = new FakeCall();
    gone.cancelled = true;
    new Watch(gone, { includePassive: false, bufferLimit: 3 }).start(state);
    expect(state.subscribers).toBe(0);
    expect(gone.written).toHaveLength(0);

    const call = new FakeCall();
    const w = new Watch(call, { includePassive: true, bufferLimit: 3 });
    w.start(state);
    expect(state.subscribers).toBe(1);
    w.close();
    expect(call.ended).toBe(true);
    expect(call.status).toBeNull();
    expect(state.subscribers).toBe(0);
  });
});
