/** A hand-driven OverlayService peer for the tests: it answers the handshake as told, then does
 * only what the test does with the calls it hands out. */
import * as grpc from "@grpc/grpc-js";
import type { ConnectRequest, OverlayMessage } from "../../gen/hyparview/v1/overlay_pb.js";
import { OverlayService } from "../../gen/hyparview/v1/overlay_pb.js";
import { addService, makeClient } from "../../src/grpc/index.js";
import type { PeerRecord } from "../../src/protocol/index.js";
import { encodeHandshake } from "../../src/wire/index.js";

export type RawCall = grpc.ServerDuplexStream<ConnectRequest, { message: OverlayMessage }>;

export interface RawPeer {
  readonly self: PeerRecord;
  readonly calls: RawCall[];
  /** Requests received, per call. */
  readonly received: ConnectRequest[];
  close(): Promise<void>;
}

/** `answer`: "handshake" replies with our handshake to the first request, then stays silent;
 * "silent" never sends anything; "already-exists" refuses the stream as a duplicate, naming
 * itself in the trailers, as a node that keeps its own link to the dialler does. */
export async function startRawPeer(
  id: string,
  answer: "handshake" | "silent" | "already-exists" | "handshake-then-stop-reading",
): Promise<RawPeer> {
  const server = new grpc.Server();
  const calls: RawCall[] = [];
  const received: ConnectRequest[] = [];
  const peer = { self: undefined as unknown as PeerRecord, calls, received };
  addService(server, OverlayService, {
    connect(call) {
      calls.push(call);
      call.on("error", () => {});
      call.on("data", (req) => {
        received.push(req);
        if (received.length !== 1) return;
        if (answer === "handshake") call.write({ message: encodeHandshake(peer.self) });
        if (answer === "handshake-then-stop-reading") {
          call.write({ message: encodeHandshake(peer.self) });
          // A slow node: it stops reading, HTTP/2 flow control fills up, our writes block.
          call.removeAllListeners("data");
          call.pause();
        }
        if (answer === "already-exists") {
          const metadata = new grpc.Metadata();
          metadata.set("hyparview-node-id", id);
          call.emit("error", { code: grpc.status.ALREADY_EXISTS, details: "duplicate", metadata });
        }
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  peer.self = { id, address: `127.0.0.1:${port}`, incarnation: 1, metadata: {} };
  return {
    ...peer,
    self: peer.self,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** A raw client dialling `target` as `self`: sends the handshake, records what comes back. */
export function rawDial(self: PeerRecord, target: PeerRecord) {
  const client = makeClient(OverlayService, target.address);
  const call = client.connect();
  const received: OverlayMessage[] = [];
  let status: grpc.StatusObject | undefined;
  call.on("data", (res) => received.push(res.message!));
  call.on("error", () => {});
  call.on("status", (s) => {
    status = s;
    client.close();
  });
  call.write({ message: encodeHandshake(self, target.id) });
  return {
    call,
    received,
    status: () => status,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}
