import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { SERVER_ERRORS } from './errors.js';

const TOO_LARGE = JSON.stringify({ error: { code: 'DG_ERR_SERVER_BODY_TOO_LARGE', message: 'request body is too large' } });

/**
 * `Expect: 100-continue` with a Content-Length over the body limit gets its 413 instead of
 * `100 Continue`: Node answers 100 by itself unless a 'checkContinue' listener decides, and after a
 * 100 the client sends the whole body while the server has already answered 413 and closes, so the
 * client saw a reset, never the 413. Bodies within the limit (or of unknown length, which the body
 * parser cuts at the limit) get their 100 and go to Fastify's request handler as usual.
 */
export function answerExpectContinue(server: Server | HttpsServer, bodyLimit: number): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const header = request.headers['content-length'];
    const length = header === undefined ? undefined : Number(header);
    if (length !== undefined && Number.isFinite(length) && length > bodyLimit) {
      // The body has not been sent: close after the answer so its bytes are never read as a request.
      response.writeHead(SERVER_ERRORS.DG_ERR_SERVER_BODY_TOO_LARGE.statusCode, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(TOO_LARGE),
        connection: 'close',
      });
      response.end(TOO_LARGE);
      return;
    }
    response.writeContinue();
    server.emit('request', request, response);
  });
}
