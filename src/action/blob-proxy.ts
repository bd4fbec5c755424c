// The artifact's blob goes up through the Azure SDK inside @actions/artifact, which reads the proxy variables its
// own way: HTTPS_PROXY before https_proxy, ALL_PROXY and even HTTP_PROXY for https, NO_PROXY entries matching one
// host exactly (`*` not at all). Every other connection of the step follows @actions/http-client's rules, which
// the README documents. In the upload's own thread (its env is its own copy), the variables are rewritten so the
// SDK decides as those rules do for an https URL.

const NAMES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

/** Rewrites `env`'s proxy variables into ones the Azure SDK reads as @actions/http-client reads the originals. */
export function alignBlobProxy(env: NodeJS.ProcessEnv): void {
  const proxy = env['https_proxy'] || env['HTTPS_PROXY'] || '';
  const noProxy = (env['no_proxy'] || env['NO_PROXY'] || '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const name of NAMES) delete env[name];
  if (proxy === '' || noProxy.includes('*')) return;
  env['HTTPS_PROXY'] = proxy;
  // http-client: an entry is a host and all its subdomains, with or without a leading dot, optionally with a port
  // (the blob's is https: 443); loopback never goes through a proxy. The SDK's `.host` is that host and its subdomains.
  const hosts = noProxy.flatMap((e) => {
    const [host, port] = e.replace(/^\.+/, '').split(/:(?=\d+$)/);
    return port === undefined || port === '443' ? [`.${host!.toLowerCase()}`] : [];
  });
  env['NO_PROXY'] = [...hosts, '.localhost', '127.0.0.1', '[::1]'].join(',');
}
