/** Test helpers shared by the membership, node and integration tests. */
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { MembershipService, type WatchMembershipResponse } from "../../gen/hyparview/v1/membership_pb.js";
import { makeClient, type ServiceClient } from "../../src/grpc/index.js";

export function membershipClient(address: string): ServiceClient<typeof MembershipService> {
  return makeClient(MembershipService, address);
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<Exclude<T, null | undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, null | undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A WatchMembership call that records every message and how it ended. */
export class WatchRecorder {
  readonly messages: WatchMembershipResponse[] = [];
  status: grpc.StatusObject | null = null;
  error: grpc.ServiceError | null = null;
  readonly call: grpc.ClientReadableStream<WatchMembershipResponse>;

  constructor(client: ServiceClient<typeof MembershipService>, includePassive = false) {
    this.call = client.watchMembership({ includePassive });
    this.call.on("data", (m: WatchMembershipResponse) => this.messages.push(m));
    this.call.on("error", (e: grpc.ServiceError) => (this.error = e));
    this.call.on("status", (s: grpc.StatusObject) => (this.status = s));
  }

  /** Revisions must grow by exactly one from the snapshot on; the first message is the snapshot. */
  checkContiguous(): void {
    const [first, ...rest] = this.messages;
    if (first?.event.case !== "snapshot") throw new Error(`first message is ${first?.event.case}, not a snapshot`);
    let r = first.revision;
    for (const m of rest) {
      if (m.event.case === "snapshot") throw new Error("a second snapshot");
      if (m.revision !== r + 1n) throw new Error(`revision ${m.revision} after ${r}`);
      r = m.revision;
    }
  }

  /** Ids in the active view as this watcher sees it (snapshot plus changes). */
  activeIds(): Set<string> {
    const ids = new Set<string>();
    for (const m of this.messages) {
      if (m.event.case === "snapshot") for (const p of m.event.value.active) ids.add(p.id);
      else if (m.event.case === "peerUp") ids.add(m.event.value.peer!.id);
      else if (m.event.case === "peerDown") ids.delete(m.event.value.peer!.id);
    }
    return ids;
  }

  cancel(): void {
    this.call.cancel();
  }
}

const BUF = path.resolve(import.meta.dirname, "../../node_modules/.bin/buf");

/** Runs `buf curl` (a Go gRPC client using server reflection) against `address`. */
export function bufCurl(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `buf curl` on a server stream; resolves with its output once `until` matches, then kills it. */
export function bufCurlStream(args: readonly string[], until: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args]);
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`buf curl: no ${until} within ${timeoutMs} ms; stdout ${out} stderr ${err}`));
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) {
        clearTimeout(timer);
        child.kill();
        resolve(out);
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!until.test(out)) reject(new Error(`buf curl exited ${code}: ${err}`));
    });
  });
}
