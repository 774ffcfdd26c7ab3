/**
 * A client for grpc.health.v1.Health/Check. grpc-health-check serves the service but ships no
 * client, and its two messages are one field each, so they are encoded here by hand rather than
 * loading a .proto at run time.
 */
import * as grpc from "@grpc/grpc-js";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
const STATUSES: readonly ServingStatus[] = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** HealthCheckRequest { string service = 1; } */
export function encodeCheckRequest(service: string): Buffer {
  const w = new BinaryWriter();
  if (service !== "") w.uint32((1 << 3) | 2).string(service);
  const b = w.finish();
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** HealthCheckResponse { ServingStatus status = 1; } (other fields skipped) */
export function decodeCheckResponse(bytes: Uint8Array): ServingStatus {
  const r = new BinaryReader(bytes);
  let status = 0;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === 0) status = r.int32();
    else r.skip(wireType);
  }
  return STATUSES[status] ?? "UNKNOWN";
}

/** The serving status of `service` ("" = the whole server) at `address`. */
export function checkHealth(address: string, service: string, deadlineMs: number): Promise<ServingStatus> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<ServingStatus>((resolve, reject) => {
    client.makeUnaryRequest<string, ServingStatus>(
      "/grpc.health.v1.Health/Check",
      encodeCheckRequest,
      (b: Buffer) => decodeCheckResponse(b),
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err, res) => (err ? reject(err) : resolve(res ?? "UNKNOWN")),
    );
  }).finally(() => client.close());
}
