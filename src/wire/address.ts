/** Overlay addresses: "host:port", where host is a DNS name, an IPv4 address or a bracketed IPv6
 * address ("[::1]:4500"). Peers advertise them; contacts are given as them. */

export interface HostPort {
  /** Without brackets for IPv6 ("::1"). */
  readonly host: string;
  readonly port: number;
}

const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

/** Parses "host:port"; null when it is not one (port must be 1-65535). */
export function parseAddress(address: string): HostPort | null {
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    if (end < 0 || address[end + 1] !== ":") return null;
    host = address.slice(1, end);
    portText = address.slice(end + 2);
    if (!IPV6.test(host) || !host.includes(":")) return null;
  } else {
    const colon = address.lastIndexOf(":");
    if (colon <= 0) return null;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (!NAME.test(host)) return null;
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  return { host, port };
}

/** "host:port" for a host and a port, bracketing IPv6 hosts. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
