/**
 * Library use: two nodes in one process, the second joining through the first. A subscriber with
 * replay gets the snapshot, then every peer up / down, like the Elixir original's
 * `HyParView.subscribe(pid, self(), replay: true)`; an application would connect to each peer
 * that comes up (here: print it) and disconnect from each that goes down.
 *
 * Run (after `npm run build`): npx tsx examples/library.ts
 */
import { startNode, type MembershipEvent } from "hyparview";

function show(who: string, e: MembershipEvent): void {
  switch (e.type) {
    case "snapshot":
      console.log(`[${who}] snapshot at revision ${e.revision}: active [${e.active.map((p) => p.id).join(", ")}]`);
      break;
    case "peerUp":
      console.log(`[${who}] up ${e.peer.id} at ${e.peer.address} (app at ${e.peer.metadata["app_endpoint"] ?? "?"})`);
      break;
    case "peerDown":
      console.log(`[${who}] down ${e.peer.id} (${e.reason})`);
      break;
  }
}

// No client API server (apiListen: null) and ephemeral overlay ports: nothing else to configure.
const common = { listen: "127.0.0.1:0", apiListen: null, logLevel: "warn" } as const;
const a = await startNode({ ...common, id: "app-a", metadata: { app_endpoint: "127.0.0.1:8081" } });
const b = await startNode({ ...common, id: "app-b", metadata: { app_endpoint: "127.0.0.1:8082" }, contacts: [a.address] });

a.subscribe((e) => show("app-a", e), { replay: true });
const bSawA = new Promise<void>((resolve) =>
  b.subscribe(
    (e) => {
      show("app-b", e);
      if (e.type === "peerUp" && e.peer.id === "app-a") resolve();
      if (e.type === "snapshot" && e.active.some((p) => p.id === "app-a")) resolve();
    },
    { replay: true },
  ),
);

const timeout = setTimeout(() => {
  console.error("app-b did not see app-a within 10 s");
  process.exit(1);
}, 10_000);
await bSawA;
clearTimeout(timeout);

// A graceful leave: app-a hears about it at once (peer down, reason "left").
await b.leave();
await b.close();
await a.close();
