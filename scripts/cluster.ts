/**
 * `npm run cluster -- --nodes 5`: a local cluster of real hyparviewd processes on 127.0.0.1,
 * node 1 the contact of the others, with a `hyparview watch` on every node printed live, one
 * line per membership change. Ctrl-C stops every process it started (nodes leave gracefully).
 */
import { mkdirSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { CLI_BIN, LocalCluster } from "./local-cluster.js";

const USAGE = `Usage: npm run cluster -- [--nodes 5] [--base-port 4510] [hyparviewd flags...]

Starts N nodes on 127.0.0.1: node i listens on base+2(i-1), its client API on base+2(i-1)+1
(--base-port 0: any free ports). Other flags, written --flag=value, go to every hyparviewd (e.g.
--active-size=3 --shuffle-interval=1s). Prints every node's membership changes; Ctrl-C stops all.`;

const { values, tokens } = parseArgs({
  args: process.argv.slice(2),
  options: {
    nodes: { type: "string", default: "5" },
    "base-port": { type: "string", default: "4510" },
    help: { type: "boolean", short: "h" },
  },
  strict: false,
  tokens: true,
});
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}
const count = Number(values.nodes);
const base = Number(values["base-port"]);
if (!Number.isInteger(count) || count < 1 || count > 200) {
  console.error("cluster: --nodes must be a whole number from 1 to 200");
  process.exit(2);
}
if (!Number.isInteger(base) || base < 0 || base + 2 * count > 65535) {
  console.error("cluster: --base-port must leave room for 2 ports per node below 65536");
  process.exit(2);
}
// Everything that is not ours goes to hyparviewd as it was written.
const passThrough = tokens
  .filter((t) => t.kind === "option" && !["nodes", "base-port", "help"].includes(t.name))
  .map((t) => (t.kind === "option" ? (t.value !== undefined ? `--${t.name}=${t.value}` : `--${t.name}`) : ""));

const logDir = join(tmpdir(), `hyparview-cluster-${process.pid}`);
mkdirSync(logDir, { recursive: true });
const cluster = new LocalCluster(passThrough);
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log("\nstopping: every node leaves the overlay...");
    await cluster.stopGracefully(5000);
    console.log(`stopped. node logs: ${logDir}`);
  }
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

try {
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const contact = base === 0 ? undefined : `127.0.0.1:${base}`;
  const started = [];
  for (const [i, id] of ids.entries()) {
    const ports = base === 0 ? {} : { port: base + 2 * i, apiPort: base + 2 * i + 1 };
    const contacts = i === 0 ? [] : [contact ?? cluster.node("n1").address];
    const node = await cluster.start(id, { ...ports, contacts });
    const log = createWriteStream(join(logDir, `${id}.log`));
    node.child.stdout!.pipe(log);
    started.push(node);
  }
  console.log("node  pid      overlay          client API");
  for (const n of started) console.log(`${n.id.padEnd(5)} ${String(n.child.pid).padEnd(8)} ${n.address.padEnd(16)} ${n.api}`);
  console.log(`\ntry: node ${CLI_BIN.replace(process.cwd() + "/", "")} members --api ${started[0]!.api}`);
  console.log("     kill -STOP <pid> / kill -CONT <pid> / kill -9 <pid>   (a hung / resumed / crashed node)");
  console.log(`node logs (pino JSON): ${logDir}\n`);
  for (const n of started) {
    const w = cluster.spawn(process.execPath, [CLI_BIN, "watch", "--api", n.api]);
    const prefix = `[${n.id}]`.padEnd(6);
    createInterface({ input: w.stdout! }).on("line", (l) => console.log(`${prefix} ${l}`));
    createInterface({ input: w.stderr! }).on("line", (l) => console.log(`${prefix} ${l}`));
    void n.exited.then(({ code, signal }) => {
      if (!stopping) console.log(`${prefix} process exited (${signal ?? `code ${code}`})`);
    });
  }
} catch (e) {
  console.error(`cluster: ${e instanceof Error ? e.message : String(e)}`);
  await stop(1);
}
