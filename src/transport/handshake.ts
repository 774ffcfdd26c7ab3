/**
 * What to do when a handshake completes: refuse it, or accept it (and what becomes of another
 * link already held for the same id). Pure, so every rule is testable on its own.
 */
import type { PeerRecord } from "../protocol/index.js";
import { survivor, type LinkFacts } from "./survivor.js";

/** The link already keyed by the sender's id, if any (never the link being judged). */
export interface ExistingLink extends LinkFacts {
  /** Its peer record comes from a handshake (not just from the core's view). */
  readonly confirmed: boolean;
  readonly incarnation: number | undefined;
}

export interface HandshakeContext {
  readonly selfId: string;
  /** We dialled the link being judged (the handshake is the dialled node's answer). */
  readonly dialledByUs: boolean;
  /** The id the dialler named: for our dial, the id we expect to reach; for an inbound link, the
   * handshake's target_id (which must be ours). "" when unnamed (a contact dial). */
  readonly targetId: string;
  readonly existing: ExistingLink | undefined;
}

export type Verdict =
  /** Refuse the link (FAILED_PRECONDITION on an inbound link; a failed dial on ours). */
  | { readonly kind: "refuse"; readonly rule: "own-id" | "wrong-target" | "older-incarnation"; readonly details: string }
  /** Give the link up: the existing one survives (duplicate rule). */
  | { readonly kind: "duplicate" }
  /** Accept it. `existing`: "none" (there is none), "replace" (it belongs to an older
   * incarnation: drop it and its queue) or "retire" (a duplicate that gives way: move its queue). */
  | { readonly kind: "accept"; readonly existing: "none" | "replace" | "retire" };

export function judgeHandshake(ctx: HandshakeContext, sender: PeerRecord): Verdict {
  if (sender.id === ctx.selfId) {
    return { kind: "refuse", rule: "own-id", details: `${sender.id} is this node's own id` };
  }
  if (ctx.targetId !== "") {
    const expected = ctx.dialledByUs ? sender.id : ctx.selfId;
    if (ctx.targetId !== expected) {
      const details = ctx.dialledByUs
        ? `dialled ${ctx.targetId}, reached ${sender.id}`
        : `this is ${ctx.selfId}, not ${ctx.targetId}`;
      return { kind: "refuse", rule: "wrong-target", details };
    }
  }
  const e = ctx.existing;
  if (e === undefined) return { kind: "accept", existing: "none" };
  // Incarnations first: a newer run of the id replaces the older everywhere; an older one is
  // stale. Only a handshaked record counts (the core's may itself be out of date).
  if (e.confirmed && e.incarnation !== undefined) {
    if (sender.incarnation < e.incarnation) {
      return {
        kind: "refuse",
        rule: "older-incarnation",
        details: `incarnation ${sender.incarnation} is older than the linked ${e.incarnation}`,
      };
    }
    if (sender.incarnation > e.incarnation) return { kind: "accept", existing: "replace" };
  }
  const incoming = { dialledByUs: ctx.dialledByUs, targetKnown: ctx.targetId !== "", dead: false };
  return survivor(ctx.selfId, sender.id, e, incoming) === "existing"
    ? { kind: "duplicate" }
    : { kind: "accept", existing: "retire" };
}
