/**
 * What the CLI prints: the API's messages turned into plain values, then into a readable table or
 * line for people, or one JSON object for machines. Pure.
 */
import {
  PeerDownReason,
  type MembershipSnapshot,
  type Peer,
  type WatchMembershipResponse,
} from "../../gen/hyparview/v1/membership_pb.js";

export interface PeerView {
  readonly id: string;
  readonly address: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface MembersView {
  readonly revision: number;
  readonly self: PeerView;
  readonly active: readonly PeerView[];
  readonly passive: readonly PeerView[];
}

export type DownReason = "failed" | "disconnected" | "left" | "unspecified";

/** One watch message, as `watch --json` prints it (plus a `time` field). */
export type WatchEvent =
  | ({ readonly type: "snapshot" } & MembersView)
  | { readonly type: "peer_up"; readonly revision: number; readonly peer: PeerView }
  | { readonly type: "peer_down"; readonly revision: number; readonly peer: PeerView; readonly reason: DownReason };

export function peerView(p: Peer | undefined): PeerView {
  return { id: p?.id ?? "", address: p?.address ?? "", metadata: { ...(p?.metadata ?? {}) } };
}

export function membersView(revision: bigint, s: MembershipSnapshot | undefined): MembersView {
  return {
    revision: Number(revision),
    self: peerView(s?.self),
    active: (s?.active ?? []).map(peerView),
    passive: (s?.passive ?? []).map(peerView),
  };
}

const REASONS: Readonly<Record<number, DownReason>> = {
  [PeerDownReason.FAILED]: "failed",
  [PeerDownReason.DISCONNECTED]: "disconnected",
  [PeerDownReason.LEFT]: "left",
};

/** A watch message as a plain value; undefined for a message with no event (never sent). */
export function watchEvent(m: WatchMembershipResponse): WatchEvent | undefined {
  const revision = Number(m.revision);
  switch (m.event.case) {
    case "snapshot":
      return { type: "snapshot", ...membersView(m.revision, m.event.value) };
    case "peerUp":
      return { type: "peer_up", revision, peer: peerView(m.event.value.peer) };
    case "peerDown":
      return {
        type: "peer_down",
        revision,
        peer: peerView(m.event.value.peer),
        reason: REASONS[m.event.value.reason] ?? "unspecified",
      };
    default:
      return undefined;
  }
}

/** `members`: one row per peer (self, then active, then passive), then a summary line. */
export function membersTable(v: MembersView): string {
  const rows: string[][] = [["VIEW", "ID", "ADDRESS", "METADATA"]];
  const add = (view: string, p: PeerView) => rows.push([view, p.id, p.address, metadataText(p.metadata)]);
  add("self", v.self);
  for (const p of v.active) add("active", p);
  for (const p of v.passive) add("passive", p);
  return `${table(rows)}revision ${v.revision}: ${v.active.length} active, ${v.passive.length} passive\n`;
}

/** `watch`: one line per message, prefixed with the local time it was received. */
export function watchLine(e: WatchEvent, at: Date): string {
  const time = at.toISOString().slice(11, 23);
  const rev = `rev ${e.revision}`.padEnd(9);
  switch (e.type) {
    case "snapshot": {
      const active = e.active.map((p) => p.id).join(", ") || "(none)";
      const passive = e.passive.length > 0 ? `; passive: ${e.passive.map((p) => p.id).join(", ")}` : "";
      return `${time} ${rev} snapshot  ${e.self.id} ${e.self.address}; active: ${active}${passive}\n`;
    }
    case "peer_up":
      return `${time} ${rev} up        ${e.peer.id} ${e.peer.address}\n`;
    case "peer_down":
      return `${time} ${rev} down      ${e.peer.id} ${e.peer.address} (${e.reason})\n`;
  }
}

/** `watch --json`: one object per line, with the time it was received. */
export function watchJson(e: WatchEvent, at: Date): string {
  return `${JSON.stringify({ ...e, time: at.toISOString() })}\n`;
}

function metadataText(m: Readonly<Record<string, string>>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${m[k]}`)
    .join(",");
}

/** Left-aligned columns, two spaces apart, no trailing spaces. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd() + "\n").join("");
}
