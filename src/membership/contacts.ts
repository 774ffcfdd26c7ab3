/** Contact addresses ("host:port", port 1-65535), as given to Join and to the node's options. */
import { parseAddress } from "../wire/index.js";

/** Why `contacts` cannot be joined through (naming the bad contact), or null when they can.
 * `allowEmpty`: an empty list means "start a new overlay" (node options), not for Join. */
export function checkContacts(contacts: readonly unknown[], allowEmpty: boolean): string | null {
  if (contacts.length === 0 && !allowEmpty) return "contacts: at least one contact is required";
  for (const [i, c] of contacts.entries()) {
    if (typeof c !== "string" || parseAddress(c) === null) {
      return `contacts[${i}]: ${JSON.stringify(c)} is not host:port with a port 1-65535`;
    }
  }
  return null;
}
