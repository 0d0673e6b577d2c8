import { isIP } from "node:net";
import { domainToASCII } from "node:url";

// Zulip validates login emails with Django's EmailValidator; no npm validator accepts exactly the same set
// (validator.js, for one, rejects quoted local parts Django takes), so its rules are restated here.
const USER =
  /^(?:[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/i;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z0-9-]{2,63})$/i;
const LITERAL = /^\[([a-f0-9:.]+)\]$/i;

/** Django's validate_email: true when Zulip would accept `value` as an email address. */
export function isValidEmail(value: string): boolean {
  if (!value || value.length > 320) return false;
  const at = value.lastIndexOf("@");
  if (at < 0) return false;
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!USER.test(user)) return false;
  if (domain === "localhost") return true;
  if (isValidDomain(domain)) return true;
  const literal = LITERAL.exec(domain);
  if (literal) return isIP(literal[1]!.replace(/^ipv6:/i, "")) !== 0;
  // Django retries with the IDNA (punycode) form, which only changes a domain with non-ASCII letters.
  if (/^[\x00-\x7f]*$/.test(domain)) return false;
  const ascii = domainToASCII(domain);
  return ascii !== "" && isValidDomain(ascii);
}

function isValidDomain(domain: string): boolean {
  return DOMAIN.test(domain) && !domain.endsWith("-");
}
