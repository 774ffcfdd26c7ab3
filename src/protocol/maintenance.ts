/**
 * Beyond the paper: periodic maintenance (request expiry, repair while the active view is short,
 * rejoin through the contacts when isolated), and leaving gracefully.
 */
import { removeActive, repair } from "./active.js";
import { joinFailed, sendJoin, shouldRejoin } from "./join.js";
import { hasFreshPassive } from "./passive.js";
import { maybeProbe } from "./probe.js";
import type { CoreState } from "./state.js";

/** Timer `maintenance`: re-arm, expire what went unanswered, repair, rejoin if isolated. */
export function handleMaintenanceTimer(s: CoreState): void {
  s.schedule("maintenance", s.config.maintenanceIntervalMs);
  const timeout = s.config.requestTimeoutMs;
  for (let i = s.active.length - 1; i >= 0; i--) {
    // A NEIGHBOR unanswered in time is a failed attempt (the reply, if it ever comes, is late).
    if (s.active.pending(i) && s.now - s.active.since(i) >= timeout) removeActive(s, i, "failed");
  }
  if (s.join !== null && s.now - s.join.sentAt >= timeout) joinFailed(s);
  s.prune(2 * timeout);
  // §4.3 repairs on failure only; repairing whenever the view is short also heals partitions
  // and bursts of failures without waiting for new joins.
  if (s.upCount() >= s.config.activeViewSize) s.shortSince = null;
  else if (s.shortSince === null) s.shortSince = s.now;
  // The probe goes first: a view stuck short would otherwise hand every rested passive entry
  // to the low-priority repair below, and the probe would find none left.
  maybeProbe(s);
  repair(s);
  maybeRejoin(s);
}

/** Timer `join`: the backoff after a failed join elapsed. */
export function handleJoinTimer(s: CoreState): void {
  maybeRejoin(s);
}

function maybeRejoin(s: CoreState): void {
  if (shouldRejoin(s, hasFreshPassive(s))) sendJoin(s);
}

/** Input `leave`: DISCONNECT(leaving) to every active peer, forget everything, stop. */
export function handleLeave(s: CoreState): void {
  while (s.active.length > 0) removeActive(s, s.active.length - 1, "leaving");
  if (s.passive.length > 0) {
    s.passive.clear();
    s.markPassiveChanged();
  }
  s.join = null;
  s.probe = null;
  s.status = "left";
}
