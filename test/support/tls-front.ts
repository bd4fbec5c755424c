// A TLS front: an https server for an emulator that speaks plain http, with the emulators' test certificate, so
// that a client (and a proxy's CONNECT tunnel) reaches it as it would reach the cloud. It is not a proxy.
import { connect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** A loopback address an emulator listens on. */
export interface Address {
  host: string;
  port: number;
}

/** Wires two sockets to each other: bytes flow both ways, and an error on either ends both. */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

const tlsDir = fileURLToPath(new URL('../../emulator/tls/', import.meta.url));

/**
 * An https front for a plain-http server on loopback. `plain` is asked at each connection: the front can start
 * first, when the server must be told the front's port (e.g. in URLs it hands out).
 */
export async function startTlsFront(plain: () => Address): Promise<Address & { close(): Promise<void> }> {
  const server: TcpServer = createTlsServer({ key: readFileSync(`${tlsDir}key.pem`), cert: readFileSync(`${tlsDir}cert.pem`) }, (clear) => {
    const to = plain();
    const upstream = connect(to.port, to.host);
    sockets.add(upstream);
    splice(clear, upstream);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The address of a loopback origin such as http://127.0.0.1:4123. */
export function addressOf(origin: string): Address {
  const url = new URL(origin);
  return { host: url.hostname, port: Number(url.port) };
}
