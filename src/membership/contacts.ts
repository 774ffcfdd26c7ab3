/** Contact addresses ("host:port", port 1-65535), as given to Join and to the node's options. */
import { parseAddress } from "../wire/index.js";

/** What is wrong with a contact list: `field` names it ("contacts" or "contacts[i]"). */
export interface ContactProblem {
  readonly field: string;
  readonly rule: string;
}

/** Why `contacts` cannot be joined through (naming the bad contact), or null when they can.
 * `allowEmpty`: an empty list means "start a new overlay" (node options), not for Join. */
export function checkContacts(contacts: readonly unknown[], allowEmpty: boolean): ContactProblem | null {
  if (contacts.length === 0 && !allowEmpty) return { field: "contacts", rule: "at least one contact is required" };
  for (const [i, c] of contacts.entries()) {
    if (typeof c !== "string" || parseAddress(c) === null) {
      return { field: `contacts[${i}]`, rule: `${JSON.stringify(c)} is not host:port with a port 1-65535` };
    }
  }
  return null;
}
