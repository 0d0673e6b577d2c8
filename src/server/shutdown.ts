import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * Follows a server's connections so that stopping it is quick and clean: `close(graceMs)` stops accepting,
 * ends at once every connection with no request in flight (including ones that have sent nothing yet, which
 * Node's closeIdleConnections leaves to the headers timeout), answers the requests in flight with
 * `Connection: close` so that their connections end with them, and cuts off whatever is still open after
 * `graceMs`. It resolves once every connection is gone.
 */
export function connectionCloser(server: Server): { close(graceMs: number): Promise<void> } {
  const open = new Set<Socket>();
  const inFlight = new Map<Socket, Set<ServerResponse>>();
  let closing = false;

  server.on("connection", (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once("close", () => {
      open.delete(socket);
      inFlight.delete(socket);
    });
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const responses = inFlight.get(socket) ?? new Set<ServerResponse>();
    inFlight.set(socket, responses);
    responses.add(response);
    if (closing) lastOnItsConnection(response);
    response.once("close", () => {
      responses.delete(response);
      // A response whose headers had gone out before the stop said keep-alive: its connection ends here.
      if (closing && responses.size === 0) socket.end();
    });
  });

  return {
    close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) {
        const responses = inFlight.get(socket);
        if (!responses || responses.size === 0) socket.destroy();
        else for (const response of responses) lastOnItsConnection(response);
      }
      // Requests still being answered (a hash, a slow database or directory) get up to graceMs.
      setTimeout(() => {
        for (const socket of open) socket.destroy();
      }, graceMs).unref();
      return closed;
    },
  };
}

/** Makes the answer say `Connection: close` (Node then ends the connection after it), if it has not gone out yet. */
function lastOnItsConnection(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader("Connection", "close");
}
