/** Contact addresses: a "host:port" whose DNS name stands for every address it holds. */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { formatAddress, parseAddress } from "../wire/index.js";

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
