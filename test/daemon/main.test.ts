import { pino } from "pino";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/protocol/index.js";
import { runDaemon, type DaemonIo, type DaemonNode } from "../../src/daemon/main.js";
import type { DaemonOptions } from "../../src/daemon/options.js";

/** An in-memory daemon run: captured output, a fake node, and a way to send signals. */
function harness(argv: string[], node: Partial<DaemonNode> = {}, startError?: Error) {
  const out: string[] = [];
  const err: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const calls: string[] = [];
  const exits: number[] = [];
  let signal: ((s: string) => void) | undefined;
  let started: DaemonOptions | undefined;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  const fake: DaemonNode = {
    id: "n1",
    address: "127.0.0.1:4500",
    apiAddress: "127.0.0.1:4501",
    leave: async () => void calls.push("leave"),
    close: async () => void calls.push("close"),
    ...node,
  };
  const io: DaemonIo = {
    argv,
    env: {},
    hostname: "host",
    version: "1.2.3",
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    logger: (o) => pino({ level: o.logLevel }, sink),
    start: async (o) => {
      started = o;
      if (startError) throw startError;
      return fake;
    },
    onSignal: (h) => void (signal = h),
    exit: (code) => void exits.push(code),
    bounds: { leaveMs: 50, closeMs: 50 },
  };
  const done = runDaemon(io);
  return {
    done,
    out,
    err,
    logs,
    calls,
    exits,
    started: () => started,
    async signal(name: string) {
      for (let i = 0; signal === undefined && i < 100; i++) await new Promise((r) => setImmediate(r));
      signal!(name);
    },
  };
}

describe("hyparviewd life cycle", () => {
  it("prints help and the version, exit 0, without starting a node", async () => {
    const h = harness(["--help"]);
    await h.done;
    expect(h.out.join("")).toContain("Usage: hyparviewd");
    expect(h.exits).toEqual([0]);
    expect(h.started()).toBeUndefined();
    const v = harness(["--version"]);
    await v.done;
    expect(v.out).toEqual(["1.2.3\n"]);
  });

  it("refuses invalid configuration with one stderr line and exit 2", async () => {
    const h = harness(["--prwl=9"]);
    await h.done;
    expect(h.err).toEqual(["hyparviewd: invalid --prwl: must be <= arwl (6), got 9\n"]);
    expect(h.exits).toEqual([2]);
    expect(h.started()).toBeUndefined();
  });

  it("exits 1 with one line when the node cannot start, 2 when it rejects its options", async () => {
    const busy = harness([], {}, Object.assign(new Error("listen EADDRINUSE: address already in use\n at x"), { code: "EADDRINUSE" }));
    await busy.done;
    expect(busy.err).toEqual(["hyparviewd: cannot start: listen EADDRINUSE: address already in use\n"]);
    expect(busy.exits).toEqual([1]);
    const bad = harness([], {}, new ConfigError("arwl", "must be <= 255"));
    await bad.done;
    expect(bad.exits).toEqual([2]);
  });

  it("passes the options to the node and logs that it is ready", async () => {
    const h = harness(["--id=a", "--contact=b:1"]);
    await h.signal("SIGTERM");
    await h.done;
    expect(h.started()).toMatchObject({ id: "a", contacts: ["b:1"] });
    expect(h.logs.find((l) => l["msg"] === "hyparviewd ready")).toMatchObject({ id: "n1", apiAddress: "127.0.0.1:4501" });
  });

  it("on SIGTERM leaves, then closes, then exits 0", async () => {
    const h = harness([]);
    await h.signal("SIGTERM");
    await h.done;
    expect(h.calls).toEqual(["leave", "close"]);
    expect(h.exits).toEqual([0]);
  });

  it("exits anyway (1) when the leave hangs past its bound, still closing the node", async () => {
    const h = harness([], { leave: () => new Promise<void>(() => {}) });
    await h.signal("SIGINT");
    await h.done;
    expect(h.calls).toEqual(["close"]);
    expect(h.exits).toEqual([1]);
    expect(h.logs.some((l) => l["msg"] === "graceful leave timed out")).toBe(true);
  });

  it("exits at once on a second signal", async () => {
    const h = harness([], { leave: () => new Promise<void>(() => {}) });
    await h.signal("SIGTERM");
    await h.signal("SIGINT");
    await h.done;
    expect(h.exits[0]).toBe(1);
  });
});
