// The domain's errors: lower layers say what went wrong, and only the CLI (src/cli/exit-code.ts) turns that into
// an exit code. Each message is one sentence for a person: no stack trace, no secret.

/** Settings that cannot work (an LDAP filter without its placeholder, a malformed URL): bad usage. */
export class InvalidConfigurationError extends Error {
  override name = "InvalidConfigurationError";
}

/** A value that is not acceptable (an invalid subdomain or email address, a weak password). */
export class InvalidInputError extends Error {
  override name = "InvalidInputError";
}

/** Something named does not exist (an organization, a user). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** A file or service the operator named cannot be used (a database file, a rate-limit store that does not answer). */
export class ResourceError extends Error {
  override name = "ResourceError";
}
