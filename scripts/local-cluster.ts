/**
 * Real hyparviewd processes on 127.0.0.1, for `npm run cluster`, the process tests and the daemon
 * benchmark: start nodes on free ports, watch them with real `hyparview watch --json` processes,
 * send them signals, and stop every process that was started. Runs the compiled bins in dist/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DAEMON_BIN = join(ROOT, "dist/src/bin/hyparviewd.js");
export const CLI_BIN = join(ROOT, "dist/src/bin/hyparview.js");

/** Throws a clear error when the bins have not been built. */
export function requireBuild(): void {
  for (const bin of [DAEMON_BIN, CLI_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  }
}

const taken = new Set<number>();

/** A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === "object" && addr !== null ? addr.port : 0));
      });
    });
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Whether the overlay formed by `views` (node -> its active view, as watchers report it) is
 * settled: every view names only live members, views are symmetric, and no link can be added,
 * because of any two members that are not neighbours at least one has a full active view
 * (`activeSize`). Every view full is not always reachable: HyParView accepts a low-priority
 * NEIGHBOR only into a free slot, so with 7 nodes x 5 slots (odd) one node stays one short. A
 * node with an empty view is never settled: its NEIGHBOR has high priority and is always accepted.
 */
export function overlaySettled(views: ReadonlyMap<string, ReadonlyMap<string, unknown>>, members: readonly string[], activeSize: number): boolean {
  const full = Math.min(activeSize, members.length - 1);
  const view = (id: string) => views.get(id) ?? new Map<string, unknown>();
  for (const a of members) {
    for (const b of view(a).keys()) if (!members.includes(b) || !view(b).has(a)) return false;
  }
  for (const a of members) {
    if (view(a).size >= full) continue;
    if (view(a).size === 0) return false;
    for (const b of members) if (b !== a && !view(a).has(b) && view(b).size < full) return false;
  }
  return true;
}

export interface PeerJson {
  readonly id: string;
  readonly address: string;
  readonly metadata: Record<string, string>;
}

/** One line of `hyparview watch --json`. */
export type WatchJson =
  | { type: "snapshot"; revision: number; self: PeerJson; active: PeerJson[]; passive: PeerJson[]; time: string }
  | { type: "peer_up"; revision: number; peer: PeerJson; time: string }
  | { type: "peer_down"; revision: number; peer: PeerJson; reason: string; time: string };

/** A `hyparview watch --json` process: every event it printed, and the active view they add up to. */
export class Watcher {
  readonly events: (WatchJson & { receivedAt: number })[] = [];
  /** Active view by id, as the events so far describe it. */
  readonly active = new Map<string, PeerJson>();
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly node: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let e: WatchJson;
      try {
        e = JSON.parse(line) as WatchJson;
      } catch {
        return;
      }
      if (e.type === "snapshot") {
        this.active.clear();
        for (const p of e.active) this.active.set(p.id, p);
      } else if (e.type === "peer_up") this.active.set(e.peer.id, e.peer);
      else this.active.delete(e.peer.id);
      this.events.push({ ...e, receivedAt: Date.now() });
      for (const l of this.listeners) l();
    });
  }

  /** The first event (from `from` on) matching `match`, waiting up to `timeoutMs`. */
  next(what: string, timeoutMs: number, match: (e: WatchJson) => boolean, from = 0): Promise<WatchJson & { receivedAt: number }> {
    const found = () => this.events.slice(from).find(match);
    const now = found();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const done = () => {
        const e = found();
        if (!e) return;
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(done);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what} on ${this.node}'s watch`));
      }, timeoutMs);
      this.listeners.add(done);
    });
  }
}

export interface NodeProcess {
  readonly id: string;
  readonly port: number;
  readonly apiPort: number;
  readonly address: string;
  readonly api: string;
  readonly child: ChildProcess;
  /** JSON log lines (parsed) and anything else it wrote, newest last (bounded). */
  readonly logs: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  readonly contacts?: readonly string[];
  readonly port?: number;
  readonly apiPort?: number;
  /** More hyparviewd flags. */
  readonly args?: readonly string[];
  /** Wait for the "hyparviewd ready" log line (default true). */
  readonly waitReady?: boolean;
}

/** Every process a LocalCluster started, so `stopAll` can end them whatever happened. */
export class LocalCluster {
  readonly nodes = new Map<string, NodeProcess>();
  private readonly children = new Set<ChildProcess>();

  constructor(
    /** Flags given to every node (timings, view sizes). */
    private readonly commonArgs: readonly string[] = [],
    private readonly readyTimeoutMs = 15_000,
  ) {
    requireBuild();
    // Last resort if the owner never calls stopAll (a crashed test worker, an uncaught error).
    process.once("exit", () => {
      for (const c of this.children) {
        c.kill("SIGCONT");
        c.kill("SIGKILL");
      }
    });
  }

  /** Starts hyparviewd with `--id id` on free (or given) ports; resolves once its API serves. */
  async start(id: string, o: StartOptions = {}): Promise<NodeProcess> {
    const port = o.port ?? (await freePort());
    const apiPort = o.apiPort ?? (await freePort());
    const args = [
      DAEMON_BIN,
      `--id=${id}`,
      `--listen=127.0.0.1:${port}`,
      `--api-listen=127.0.0.1:${apiPort}`,
      ...(o.contacts ?? []).map((c) => `--contact=${c}`),
      ...this.commonArgs,
      ...(o.args ?? []),
    ];
    const child = this.spawn(process.execPath, args);
    const logs: string[] = [];
    const keep = (line: string) => {
      logs.push(line);
      if (logs.length > 2000) logs.splice(0, logs.length - 2000);
    };
    createInterface({ input: child.stdout! }).on("line", keep);
    createInterface({ input: child.stderr! }).on("line", (l) => keep(`stderr: ${l}`));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const node: NodeProcess = {
      id,
      port,
      apiPort,
      address: `127.0.0.1:${port}`,
      api: `127.0.0.1:${apiPort}`,
      child,
      logs,
      exited,
    };
    this.nodes.set(id, node);
    if (o.waitReady !== false) {
      let gone = false;
      void exited.then(() => (gone = true));
      await waitFor(`${id} to be ready`, this.readyTimeoutMs, () => {
        if (gone) throw new Error(`${id} exited before it was ready:\n${logs.slice(-20).join("\n")}`);
        return logs.some((l) => l.includes('"hyparviewd ready"'));
      });
    }
    return node;
  }

  /** Starts `hyparview watch --json` against a node's API. */
  watch(id: string, extra: readonly string[] = []): Watcher {
    const node = this.node(id);
    const child = this.spawn(process.execPath, [CLI_BIN, "watch", "--json", "--api", node.api, ...extra]);
    child.stderr!.resume();
    return new Watcher(id, child);
  }

  /** Runs the CLI once; resolves with its exit code and output. */
  cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = this.spawn(process.execPath, [CLI_BIN, ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
  }

  /** `hyparview members --json --passive` of a node. */
  async members(id: string): Promise<{ revision: number; self: PeerJson; active: PeerJson[]; passive: PeerJson[] }> {
    const r = await this.cli(["members", "--json", "--passive", "--api", this.node(id).api]);
    if (r.code !== 0) throw new Error(`members of ${id} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as { revision: number; self: PeerJson; active: PeerJson[]; passive: PeerJson[] };
  }

  signal(id: string, signal: NodeJS.Signals): void {
    this.node(id).child.kill(signal);
  }

  node(id: string): NodeProcess {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Any process started by this cluster (a node, a watcher, a CLI call) that has not exited. */
  running(): number {
    return [...this.children].filter((c) => c.exitCode === null && c.signalCode === null).length;
  }

  /** Spawns a tracked process; it is killed by `stopAll` if it is still running then. */
  spawn(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): ChildProcess {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT, env: { ...process.env, ...env } });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Ends every process still running: SIGCONT (a stopped one cannot die otherwise) then SIGKILL. */
  async stopAll(): Promise<void> {
    const live = [...this.children];
    await Promise.all(
      live.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGCONT");
            c.kill("SIGKILL");
          }),
      ),
    );
  }

  /** Graceful stop: SIGTERM to every node (it leaves the overlay; watchers still print that), then
   * everything else; SIGKILL whatever still runs after `graceMs`. */
  async stopGracefully(graceMs = 5000): Promise<void> {
    const deadline = Date.now() + graceMs;
    const nodes = [...this.nodes.values()].map((n) => n.child).filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of nodes) c.kill("SIGTERM");
    while (nodes.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const c of this.children) c.kill("SIGTERM");
    while (this.running() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.stopAll();
  }
}
