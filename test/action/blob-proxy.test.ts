// The artifact blob's proxy: the Azure SDK's rules made to give @actions/http-client's answer. Checked against
// both libraries themselves: the proxy of the agent http-client would use, on the original variables, and the
// SDK's proxy policy (as @actions/artifact builds it) on the rewritten ones, for the same https URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '@actions/http-client';
import { alignBlobProxy } from '../../src/action/blob-proxy.ts';

const NAMES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];
const URLS = ['https://foo.localhost/x', 'https://results-receiver.actions.githubusercontent.com/twirp/x', 'https://artifacts.actions.githubusercontent.com/x', 'https://productionresultssa0.blob.core.windows.net/x', 'https://githubusercontent.com/x', 'https://127.0.0.1:8443/x', 'https://other.example/x'];

/** Runs `fn` with exactly these proxy variables in process.env (the others of NAMES unset), then puts them back. */
async function withProxyEnv<T>(env: NodeJS.ProcessEnv, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
  try {
    for (const n of NAMES) delete process.env[n];
    Object.assign(process.env, env);
    return await fn();
  } finally {
    for (const n of NAMES) if (saved[n] === undefined) delete process.env[n]; else process.env[n] = saved[n];
  }
}

/** Where the SDK would connect for `url` with these variables (proxy host:port): its proxy policy's own decision. */
function sdkProxy(env: NodeJS.ProcessEnv, url: string): Promise<string | undefined> {
  return withProxyEnv(env, async () => {
    // The SDK keeps its NO_PROXY list once loaded: a fresh copy of the module for each set of variables.
    const m = (await import(`../../node_modules/@typespec/ts-http-runtime/dist/esm/policies/proxyPolicy.js?${Math.random()}`)) as {
      proxyPolicy: () => { sendRequest: (req: { url: string; agent?: unknown; proxySettings?: unknown }, next: (r: unknown) => Promise<unknown>) => Promise<unknown> };
    };
    const req: { url: string; agent?: { proxy?: URL } } = { url };
    await m.proxyPolicy().sendRequest(req, async () => ({}));
    return req.agent?.proxy && `${req.agent.proxy.hostname}:${req.agent.proxy.port}`;
  });
}

/** The same for @actions/http-client: the proxy of the agent it would use for `url` with these variables. */
function httpClientProxy(env: NodeJS.ProcessEnv, url: string): Promise<string | undefined> {
  return withProxyEnv(env, () => {
    const agent = new HttpClient('probe').getAgent(url) as { proxyOptions?: { host: string; port: string | number } };
    return agent.proxyOptions && `${agent.proxyOptions.host}:${agent.proxyOptions.port}`;
  });
}

const P = 'http://proxy.example:3128/';
const CASES: Array<Record<string, string>> = [
  { https_proxy: P },
  { http_proxy: P },
  { ALL_PROXY: P },
  { https_proxy: P, HTTPS_PROXY: 'http://127.0.0.1:9/' },
  { https_proxy: P, no_proxy: 'actions.githubusercontent.com' },
  { https_proxy: P, no_proxy: '.blob.core.windows.net' },
  { https_proxy: P, NO_PROXY: 'githubusercontent.com:443, other.example:8443' },
  { https_proxy: P, no_proxy: '*' },
  { HTTPS_PROXY: P, NO_PROXY: 'OTHER.EXAMPLE' },
  // Proxies written without a scheme: no URL at all (http-client reads it as http://), or a URL with no host
  // ('proxy.example:' taken for a scheme: http-client connects directly).
  { https_proxy: '10.0.0.1:3128' },
  { https_proxy: 'proxy.example:3128' },
  { https_proxy: 'user:pw@proxy.example:3128' },
  // An exact host (a GitHub Enterprise host, the artifact service's), with and without its port.
  { https_proxy: P, no_proxy: 'results-receiver.actions.githubusercontent.com' },
  { https_proxy: P, no_proxy: 'results-receiver.actions.githubusercontent.com:443' },
];

test('the blob upload goes through the proxy exactly when every other https connection would; those in its thread still do as before', async () => {
  for (const env of CASES) {
    const aligned: NodeJS.ProcessEnv = { ...env };
    alignBlobProxy(aligned);
    for (const url of URLS) {
      const want = await httpClientProxy(env, url);
      assert.equal(await sdkProxy(aligned, url), want, `the SDK: ${JSON.stringify(env)} ${url}`);
      // The artifact service's own calls in the upload thread go through http-client, on the rewritten variables.
      assert.equal(await httpClientProxy(aligned, url), want, `http-client: ${JSON.stringify(env)} ${url}`);
    }
  }
});
