import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeAll, startNode, waitFor } from "./harness.js";

/** A throwaway self-signed certificate for 127.0.0.1, made with the system's openssl. */
function selfSigned(): { cert: Buffer; key: Buffer } | null {
  const dir = mkdtempSync(join(tmpdir(), "hv-tls-"));
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      { stdio: "ignore" },
    );
    return { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let pair: { cert: Buffer; key: Buffer } | null = null;
beforeAll(() => {
  pair = selfSigned();
});
afterEach(closeAll);

describe("TLS credentials", () => {
  it("links nodes over TLS, and a node without the CA cannot reach them", async (ctx) => {
    if (pair === null) return ctx.skip();
    const tls = {
      serverCredentials: grpc.ServerCredentials.createSsl(null, [{ cert_chain: pair.cert, private_key: pair.key }]),
      channelCredentials: grpc.credentials.createSsl(pair.cert),
    };
    const a = await startNode("a", tls);
    const b = await startNode("b", tls);
    a.t.apply({ type: "send", to: b.self, message: { kind: "join", requestId: 1 } });
    await waitFor(() => b.messages().length === 1, "message over TLS");

    const plain = await startNode("p"); // insecure channel to a TLS server
    plain.t.apply({ type: "send", to: b.self, message: { kind: "join", requestId: 2 } });
    await waitFor(() => plain.of("linkLost").length === 1, "plain dial fails");
    expect(b.messages()).toHaveLength(1);
  });
});
