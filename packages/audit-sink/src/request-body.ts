/**
 * Reading a request body, inflating gzip on the fly. Both the received bytes and the inflated
 * bytes are capped, so a gzip bomb is stopped after `max` bytes of output, not after inflating;
 * every chunk kept is first reserved against the memory budget of the requests in flight.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { errorLine } from './errors';
import { HttpError } from './otlp-http';

/** The client went away while we read its body: there is nobody to answer. */
export class ClientGone extends Error {}

export function readBody(req: IncomingMessage, max: number, gzip: boolean, kind: string, reserve: (n: number) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    let settled = false;
    const gunzip = gzip ? createGunzip() : null;

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      req.removeListener('data', onRaw);
      if (gunzip) {
        gunzip.removeAllListeners('data');
        gunzip.on('error', () => {});
        gunzip.destroy();
      }
      reject(err);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > max) {
        fail(new HttpError(413, gzip
          ? `decompressed body exceeds the ${kind}limit of ${max} bytes`
          : `body exceeds the ${kind}limit of ${max} bytes`));
        return;
      }
      if (!reserve(chunk.length)) {
        fail(new HttpError(503, 'requests in flight hold the memory budget of the sink; retry later'));
        return;
      }
      chunks.push(chunk);
    };
    const onRaw = (chunk: Buffer) => {
      if (settled) return;
      raw += chunk.length;
      if (raw > max) {
        fail(new HttpError(413, `body exceeds the ${kind}limit of ${max} bytes`));
        return;
      }
      if (gunzip) {
        if (!gunzip.write(chunk)) {
          req.pause();
          gunzip.once('drain', () => req.resume());
        }
      } else {
        onData(chunk);
      }
    };

    req.on('data', onRaw);
    req.on('error', () => fail(new ClientGone('request error')));
    req.on('aborted', () => fail(new ClientGone('request aborted')));
    req.on('close', () => {
      if (!req.complete) fail(new ClientGone('connection closed before the body was complete'));
    });
    if (gunzip) {
      gunzip.on('data', onData);
      gunzip.on('error', (err) => fail(new HttpError(400, `invalid gzip body: ${errorLine(err)}`)));
      gunzip.on('end', done);
      req.on('end', () => gunzip.end());
    } else {
      req.on('end', done);
    }
  });
}
