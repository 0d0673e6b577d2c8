/**
 * Request turns: the stretch of one event-loop iteration in which requests arrived, from the first arrival in
 * its poll phase to the check phase that follows. A value read from the database during a turn may serve every
 * request of that turn, exactly as a read per request would:
 *
 * - libuv's poll phase first asks the kernel which sockets are readable (epoll_wait), then runs each socket's
 *   read callback, where Node parses requests and hands them to the server's listener. The first request a
 *   socket delivers in a turn had therefore begun to arrive when that poll returned, and a read made during the
 *   turn is made after it returned: it sees every commit that was complete before any of the turn's requests
 *   was sent. (Work a request resumes in a later turn, such as a login once its body is read, reads in that
 *   turn, or afresh when no request opened it.)
 * - A second request from one socket in one turn (HTTP pipelining) is the exception: its bytes may have been
 *   read after this turn's read, so its arrival ends the turn and opens a new one, and the next read is fresh.
 * - Outside a request turn (start-up, a callback in another phase) nothing is reused.
 *
 * Two cases this does not cover, both races of microseconds: libuv polls again within the same phase when one
 * poll returned 1 024 ready descriptors, so with more than 1 024 connections ready at once, a request from the
 * second poll may be served a read made a few microseconds before it arrived; and a socket made readable by
 * the tail of one request's body may deliver its next request, sent after the poll, as its first of the turn.
 * Requests are only delivered in the poll phase (sockets' read callbacks), which is what `setImmediate` ends.
 */
let turn = 0;
let open = false;
/** The turn in which each socket last delivered a request. */
const lastArrival = new WeakMap<object, number>();

function closeTurn(): void {
  open = false;
  turn += 1;
}

/** Notes a request's arrival on `socket`; the server's node:http listener calls it first, for every request. */
export function requestArrived(socket: object): void {
  if (!open) {
    open = true;
    // Immediates queued during the poll phase run in the check phase right after it.
    setImmediate(closeTurn);
  } else if (lastArrival.get(socket) === turn) {
    turn += 1;
  }
  lastArrival.set(socket, turn);
}

/** The current request turn, or undefined outside one (then nothing may be reused). */
export function requestTurn(): number | undefined {
  return open ? turn : undefined;
}
