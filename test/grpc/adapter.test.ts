import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MembershipService, type WatchMembershipResponse } from "../../gen/hyparview/v1/membership_pb.js";
import { OverlayService, type ConnectResponse } from "../../gen/hyparview/v1/overlay_pb.js";
import {
  addService,
  isResponseDecodeError,
  makeClient,
  methodPath,
  unaryCall,
  type ServiceClient,
} from "../../src/grpc/index.js";

/** Bytes no protobuf message decodes: field 1 with the invalid wire type 7. */
const GARBAGE = Buffer.from([0x0f, 0x01]);

/** A client sending and receiving raw bytes on `path`, to inject what a broken peer would send. */
function rawClient(address: string, path: string, requestStream: boolean, responseStream: boolean) {
  const id = (b: Buffer) => b;
  const Ctor = grpc.makeGenericClientConstructor(
    {
      raw: {
        path,
        requestStream,
        responseStream,
        requestSerialize: id,
        requestDeserialize: id,
        responseSerialize: id,
        responseDeserialize: id,
      },
    },
    "Raw",
  );
  return new Ctor(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
}

function statusOf(call: grpc.ClientDuplexStream<Buffer, Buffer>): Promise<grpc.StatusObject> {
  return new Promise((resolve) => {
    call.on("error", () => {});
    call.on("data", () => {});
    call.on("status", resolve);
  });
}

describe("grpc adapter", () => {
  const server = new grpc.Server();
  const decodeErrors: string[] = [];
  let address = "";
  let membership: ServiceClient<typeof MembershipService>;
  let overlay: ServiceClient<typeof OverlayService>;

  beforeAll(async () => {
    const hook = { onDecodeError: (m: { name: string }) => decodeErrors.push(m.name) };
    addService(
      server,
      MembershipService,
      {
        getMembership(call, cb) {
          cb(null, {
            revision: 7n,
            snapshot: { self: { id: "a", address: "127.0.0.1:1", metadata: { k: "v" } }, active: [] },
          });
        },
        watchMembership(call) {
          call.write({ revision: 1n, event: { case: "snapshot", value: { self: { id: "a" } } } });
          call.write({ revision: 2n, event: { case: "peerUp", value: { peer: { id: "b" } } } });
          call.end();
        },
        join(call, cb) {
          cb(null, {});
        },
        leave(call, cb) {
          cb({ code: grpc.status.UNIMPLEMENTED, details: "not here" });
        },
      },
      hook,
    );
    addService(
      server,
      OverlayService,
      {
        connect(call) {
          call.on("data", (req) => {
            // Echo: a heartbeat answered by a heartbeat with the same timestamp.
            if (req.message?.body.case === "heartbeat") {
              call.write({ message: { body: { case: "heartbeat", value: req.message.body.value } } });
            }
          });
          call.on("end", () => call.end());
          call.on("error", () => {});
        },
      },
      hook,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
    membership = makeClient(MembershipService, address);
    overlay = makeClient(OverlayService, address);
  });

  afterAll(async () => {
    membership?.close();
    overlay?.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it("uses the method path /<service>/<method>", () => {
    expect(methodPath(OverlayService.method.connect)).toBe("/hyparview.v1.OverlayService/Connect");
  });

  it("serves a unary call with init-shaped responses decoded into messages", async () => {
    const res = await unaryCall(membership, "getMembership", { includePassive: true });
    expect(res.revision).toBe(7n);
    expect(res.snapshot?.self?.metadata).toEqual({ k: "v" });
    expect(res.$typeName).toBe("hyparview.v1.GetMembershipResponse");
  });

  it("passes handler errors through with their status", async () => {
    await expect(unaryCall(membership, "leave", {})).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it("streams server-streaming responses in order", async () => {
    const got: WatchMembershipResponse[] = [];
    const call = membership.watchMembership({ includePassive: false });
    await new Promise<void>((resolve, reject) => {
      call.on("data", (m) => got.push(m));
      call.on("error", reject);
      call.on("end", resolve);
    });
    expect(got.map((m) => [m.revision, m.event.case])).toEqual([
      [1n, "snapshot"],
      [2n, "peerUp"],
    ]);
  });

  it("carries a bidi stream both ways", async () => {
    const call = overlay.connect();
    const got: ConnectResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (m) => got.push(m));
      call.on("error", reject);
      call.on("end", resolve);
    });
    call.write({ message: { body: { case: "heartbeat", value: { sentAtMs: 1n } } } });
    call.write({ message: { body: { case: "heartbeat", value: { sentAtMs: 2n } } } });
    call.end();
    await done;
    expect(got.map((m) => (m.message?.body.case === "heartbeat" ? m.message.body.value.sentAtMs : -1n))).toEqual([
      1n,
      2n,
    ]);
  });

  it("answers an undecodable unary request with INVALID_ARGUMENT", async () => {
    const raw = rawClient(address, methodPath(MembershipService.method.getMembership), false, false);
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        raw.raw!(GARBAGE, (e: grpc.ServiceError | null) => resolve(e)),
      );
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/undecodable hyparview\.v1\.GetMembershipRequest/);
      expect(decodeErrors).toContain("GetMembership");
    } finally {
      raw.close();
    }
  });

  it("answers an undecodable server-streaming request with INVALID_ARGUMENT", async () => {
    const raw = rawClient(address, methodPath(MembershipService.method.watchMembership), false, true);
    try {
      const call = raw.raw!(GARBAGE) as grpc.ClientDuplexStream<Buffer, Buffer>;
      const status = await statusOf(call);
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      raw.close();
    }
  });

  it("ends a bidi stream with INVALID_ARGUMENT at the first undecodable message, and keeps serving", async () => {
    const raw = rawClient(address, methodPath(OverlayService.method.connect), true, true);
    try {
      const call = raw.raw!() as grpc.ClientDuplexStream<Buffer, Buffer>;
      const status = statusOf(call);
      call.write(GARBAGE);
      expect((await status).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(decodeErrors).toContain("Connect");
    } finally {
      raw.close();
    }
    // The server survived: a well-formed call still works.
    const res = await unaryCall(membership, "getMembership", {});
    expect(res.revision).toBe(7n);
  });

  it("reports an undecodable response as a response decode error on the client", async () => {
    const rawServer = new grpc.Server();
    const id = (b: Buffer) => b;
    rawServer.addService(
      {
        getMembership: {
          path: methodPath(MembershipService.method.getMembership),
          requestStream: false,
          responseStream: false,
          requestSerialize: id,
          requestDeserialize: id,
          responseSerialize: id,
          responseDeserialize: id,
        },
      },
      { getMembership: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, GARBAGE) },
    );
    const port = await new Promise<number>((resolve, reject) =>
      rawServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const client = makeClient(MembershipService, `127.0.0.1:${port}`);
    try {
      const err = await unaryCall(client, "getMembership", {}).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isResponseDecodeError(err)).toBe(true);
      expect(isResponseDecodeError({ code: grpc.status.INTERNAL, details: "other" })).toBe(false);
    } finally {
      client.close();
      await new Promise<void>((resolve) => rawServer.tryShutdown(() => resolve()));
    }
  });
});
