/** Why the store could not be opened, in one line fit to show an operator (no password). */
export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}
