import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

/**
 * Closes connections that send nothing at all within `ms`. Node's headers and request timeouts only
 * start with a request's first byte, and the keep-alive timeout only after a response, so a connection
 * that never speaks held its slot under the connection cap forever: enough of them locked every
 * caller out. Per connection (not per request): one timer on the socket, cleared by its first bytes,
 * after which Node's own timeouts apply. For HTTPS, counted from the end of the TLS handshake.
 */
export function closeSilentConnections(server: Server | HttpsServer, ms: number, tls: boolean): void {
  if (ms <= 0) return;
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    socket.setTimeout(ms);
    socket.once('data', () => socket.setTimeout(0));
  });
}
