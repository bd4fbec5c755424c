// A real forward proxy for the tests: Squid, as corporate networks run it, started in the foreground on loopback
// with a configuration of the test's own. It alone knows the public names the tests use (its hosts_file maps
// them to loopback); what crossed it is read from its own access.log, not from a mirror of ours.
import { inCi, skipUnlessCi } from './ci.ts';
import { executable, which } from './tools.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's path of the helper that checks Basic credentials against an htpasswd-style file. */
const NCSA_AUTH = '/usr/lib/squid/basic_ncsa_auth';
const INSTALL = 'on Debian or Ubuntu: apt-get install squid';

const squidBinary = (): string | undefined => which('squid');

/** What is missing to run Squid with Basic authentication, if anything. */
function squidMissing(): string | undefined {
  if (squidBinary() === undefined) return `squid is not installed (${INSTALL})`;
  if (!executable(NCSA_AUTH)) return `${NCSA_AUTH} is missing (${INSTALL})`;
  return undefined;
}

/**
 * For a test's `skip`: false when Squid is there. Without it a developer's machine skips, saying how to install it;
 * CI (CI set) never skips: the test runs and fails on the missing proxy, so a CI image without Squid cannot pass
 * silently.
 */
export function skipWithoutSquid(): string | false {
  const missing = squidMissing();
  return skipUnlessCi(missing === undefined ? undefined : `${missing}; the proxy tests run behind a real proxy`);
}

interface SquidOptions {
  /** Public names Squid resolves (its hosts_file), each to a loopback address; no other resolver knows them. */
  hosts: Record<string, string>;
  /** The only ports CONNECT may reach (the emulators' TLS ports). */
  ports: number[];
  /** Basic authentication: the one user Squid accepts, checked by its basic_ncsa_auth helper. */
  user?: { name: string; password: string };
}

/** One line of Squid's access.log, in the format the configuration below defines. */
export interface AccessEntry {
  method: string;
  /** host:port for CONNECT; the whole URL for a request the proxy read in clear. */
  target: string;
  status: number;
  /** The proxy user who authenticated (or tried to), or '-'. */
  user: string;
  /** Squid's result code: TCP_TUNNEL for a tunnel, TCP_DENIED for a refusal, ... */
  result: string;
}

export interface Squid {
  /** http://127.0.0.1:PORT, without credentials. */
  url: string;
  /** Stops Squid and waits for it to exit; then its access.log, complete: a tunnel is logged when it closes. */
  stop(): Promise<AccessEntry[]>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** uid and gid of a user from /etc/passwd. */
function account(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`no user '${name}' for squid to run as (the squid package creates it)`);
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts Squid on a free loopback port and resolves once it accepts connections. */
export async function startSquid(o: SquidOptions): Promise<Squid> {
  const missing = squidMissing();
  if (missing !== undefined) throw new Error(inCi() ? `${missing}; with CI set the proxy tests fail rather than skip` : missing);
  // The free port may be taken between the probe and Squid's bind: try again on another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o, await freePort());
    } catch (e) {
      if (attempt >= 3 || !(e instanceof Error && /Address already in use/.test(e.message))) throw e;
    }
  }
}

async function startOnce(o: SquidOptions, port: number): Promise<Squid> {
  const dir = await mkdtemp(join(tmpdir(), 'squid-'));
  // Squid started as root drops to cache_effective_user, which must write its logs and pid file here and whose
  // helper must read the password file; mkdtemp's directory is root's alone.
  const root = process.getuid?.() === 0;
  if (root) {
    const { uid, gid } = account('proxy');
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o755);
  const file = (name: string): string => join(dir, name);
  await writeFile(file('hosts'), Object.entries(o.hosts).map(([name, address]) => `${address} ${name}\n`).join(''));
  if (o.user) {
    // Unsalted MD5 is one of the formats basic_ncsa_auth reads, and Node makes it with no tool (openssl) beside.
    await writeFile(file('passwd'), `${o.user.name}:${createHash('md5').update(o.user.password).digest('hex')}\n`);
  }
  const conf = [
    `http_port 127.0.0.1:${port}`,
    ...(root ? ['cache_effective_user proxy'] : []),
    'visible_hostname squid.test',
    `pid_filename ${file('squid.pid')}`,
    `cache_log ${file('cache.log')}`,
    // One transaction a line: method, target (host:port for CONNECT), status, proxy user, result code.
    'logformat tests %rm %ru %>Hs %un %Ss',
    `access_log stdio:${file('access.log')} tests`,
    'cache_store_log none',
    `coredump_dir ${dir}`,
    'netdb_filename none',
    'pinger_enable off',
    // No cache: every request must reach the emulators.
    'cache deny all',
    // On stop, drop open tunnels at once instead of waiting 30 s for them.
    'shutdown_lifetime 0 seconds',
    `hosts_file ${file('hosts')}`,
    'acl CONNECT method CONNECT',
    `acl test_hosts dstdomain ${Object.keys(o.hosts).join(' ')}`,
    `acl test_ports port ${o.ports.join(' ')}`,
    ...(o.user
      ? [
          `auth_param basic program ${NCSA_AUTH} ${file('passwd')}`,
          'auth_param basic realm squid.test',
          'auth_param basic children 2',
          'acl authenticated proxy_auth REQUIRED',
          // Without (valid) credentials: 407 Proxy Authentication Required, as corporate proxies answer.
          'http_access deny !authenticated',
        ]
      : []),
    // Tunnels to the known names on their ports, nothing else: a plain-http request is refused (and logged).
    'http_access allow CONNECT test_hosts test_ports',
    'http_access deny all',
  ].join('\n');
  await writeFile(file('squid.conf'), `${conf}\n`);

  // -N: in the foreground, no daemon, no kid processes; -d 1: cache.log's important lines on stderr too.
  const child = spawn(squidBinary()!, ['-N', '-d', '1', '-f', file('squid.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      // Squid's own word that the port listens: printed once the listening socket is open.
      const ready = `Accepting HTTP Socket connections at conn`;
      child.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes(ready) && stderr.includes(`local=127.0.0.1:${port} `)) resolve();
      });
      child.on('error', reject);
      void exited.then((code) => reject(new Error(`squid exited (${code}) before it listened:\n${stderr.slice(-3000)}`)));
      setTimeout(() => reject(new Error(`squid did not listen within 20 s:\n${stderr.slice(-3000)}`)), 20_000).unref();
    });
  } catch (e) {
    await stopProcess(child, exited);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  let stopped: Promise<AccessEntry[]> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => (stopped ??= (async () => {
      await stopProcess(child, exited);
      const log = await readFile(file('access.log'), 'utf8').catch(() => '')
      await rm(dir, { recursive: true, force: true });
      return log.split('\n').filter((l) => l !== '').map(parseEntry);
    })()),
  };
}

/** SIGTERM, then the exit (a second or two: Squid shuts down on its next tick); SIGKILL if it hangs. */
async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

function parseEntry(line: string): AccessEntry {
  const [method = '', target = '', status = '', user = '', result = ''] = line.split(' ');
  return { method, target, status: Number(status), user, result };
}
