/**
 * sendToContact: a contact known only by "host:port", whose DNS name stands for every address it
 * holds. Each address is tried in turn until one answers with a handshake; the link is then keyed
 * by the id that handshake names. When none does, the core hears contactFailed.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Logger } from "pino";
import type { OverlayMessage } from "../../gen/hyparview/v1/overlay_pb.js";
import { formatAddress, parseAddress } from "../wire/index.js";
import type { Link } from "./link.js";

/** One sendToContact: the addresses its name resolved to, tried in turn. */
export interface ContactAttempt {
  readonly address: string;
  readonly message: OverlayMessage;
  targets: string[];
  next: number;
  /** Some address answered with a handshake (or named itself refusing a duplicate). */
  reached: boolean;
}

/**
 * Every "ip:port" a contact address stands for, in resolver order without duplicates. An IP
 * literal stands for itself. Throws when the address is malformed or the name does not resolve.
 */
export async function resolveContact(address: string): Promise<string[]> {
  const hp = parseAddress(address);
  if (hp === null) throw new Error(`not host:port: ${address}`);
  if (isIP(hp.host) !== 0) return [formatAddress(hp.host, hp.port)];
  const found = await lookup(hp.host, { all: true, verbatim: true });
  const out: string[] = [];
  for (const a of found) {
    const target = formatAddress(a.address, hp.port);
    if (!out.includes(target)) out.push(target);
  }
  if (out.length === 0) throw new Error(`${hp.host} resolves to no address`);
  return out;
}

export interface ContactDeps {
  /** Opens a link to "ip:port" whose peer id is not known yet. */
  dial(target: string): Link;
  /** The transport is closing: stop. */
  closed(): boolean;
  /** No address of the contact answered. */
  failed(address: string): void;
  readonly queueLimit: number;
  readonly log: Logger;
}

export class ContactDialer {
  constructor(private readonly d: ContactDeps) {}

  /** Resolves `address`, then tries its addresses in turn with `message`. */
  start(address: string, message: OverlayMessage): void {
    const attempt: ContactAttempt = { address, message, targets: [], next: 0, reached: false };
    resolveContact(address).then(
      (targets) => {
        attempt.targets = targets;
        this.next(attempt);
      },
      (err: Error) => {
        this.d.log.info({ contact: address, err: err.message }, "contact does not resolve");
        this.fail(attempt);
      },
    );
  }

  /** The previous address did not answer (or there was none yet): try the next one. */
  next(attempt: ContactAttempt): void {
    if (this.d.closed()) return;
    const target = attempt.targets[attempt.next++];
    if (target === undefined) return this.fail(attempt);
    const link = this.d.dial(target);
    link.contact = attempt;
    link.enqueue(attempt.message, this.d.queueLimit, Date.now());
  }

  private fail(attempt: ContactAttempt): void {
    if (this.d.closed()) return;
    // The node logs the failed join attempt (with its retry); one line per attempt is enough.
    this.d.log.debug({ contact: attempt.address }, "contact unreachable");
    this.d.failed(attempt.address);
  }
}
