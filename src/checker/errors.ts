/**
 * Options `checkServer` cannot run with (a base URL that is not one, an empty password, an unknown case): the
 * checker's one thrown error. An unreachable or failing server is a finding in the report, never an exception.
 */
export class CheckOptionsError extends Error {
  override name = "CheckOptionsError";
}
