// A forward proxy on loopback, as a corporate one: CONNECT tunnels for https and plain forwarding for http. It
// "resolves" the host names it is told (rds.eu-de.otc.t-systems.com → an emulator's port) and refuses the rest,
// and it records what it saw: which host each request went to, and for plain http every header, which is all
// a proxy can read. Plus a TLS front: an https server for an emulator that speaks plain http.
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

export interface ProxiedRequest {
  /** CONNECT: a tunnel (the proxy sees only host and port); http: a request the proxy reads in full. */
  kind: 'connect' | 'http';
  /** host:port as the client asked for it. */
  target: string;
  /** For http only: what crossed the proxy in clear. */
  headers?: Record<string, string | string[] | undefined>;
  url?: string;
}

export interface ForwardProxy {
  /** http://127.0.0.1:PORT, for https_proxy / http_proxy. */
  url: string;
  seen: ProxiedRequest[];
  close(): Promise<void>;
}

/** A loopback address an emulator listens on. */
export interface Address {
  host: string;
  port: number;
}

/** `routes`: host:port the client names → the loopback address that serves it. Anything else is refused (502). */
export async function startForwardProxy(routes: Record<string, Address>): Promise<ForwardProxy> {
  const seen: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    // Plain http through a proxy: the request line carries the absolute URL.
    const url = new URL(req.url ?? '/');
    const target = `${url.hostname}:${url.port || '80'}`;
    seen.push({ kind: 'http', target, headers: { ...req.headers }, url: req.url ?? '' });
    const to = routes[target];
    if (to === undefined) return void res.writeHead(502).end(`proxy: no route to ${target}`);
    const upstream = request({ host: to.host, port: to.port, method: req.method, path: url.pathname + url.search, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    const target = req.url ?? '';
    seen.push({ kind: 'connect', target });
    const to = routes[target];
    if (to === undefined) return void socket.end(`HTTP/1.1 502 Bad Gateway\r\n\r\n`);
    const upstream = connect(to.port, to.host, () => {
      track(upstream);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    });
    // Written before the splice, so the bytes the client sent with CONNECT go first (net holds them until connected).
    upstream.write(head);
    splice(socket, upstream);
  });
  // Tunnels leave the HTTP server's books: close them by hand.
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => { sockets.add(s); s.on('close', () => sockets.delete(s)); };
  server.on('connection', track);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Wires two sockets to each other: bytes flow both ways, and an error on either ends both. */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

const tlsDir = fileURLToPath(new URL('../../emulator/tls/', import.meta.url));

/** An https front for a plain-http server on loopback, with the emulators' test certificate. */
export async function startTlsFront(plain: Address): Promise<Address & { close(): Promise<void> }> {
  const server: TcpServer = createTlsServer({ key: readFileSync(`${tlsDir}key.pem`), cert: readFileSync(`${tlsDir}cert.pem`) }, (clear) => {
    const upstream = connect(plain.port, plain.host);
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
