// The artifact's blob goes up through the Azure SDK inside @actions/artifact, which reads the proxy variables its
// own way: HTTPS_PROXY before https_proxy, ALL_PROXY and even HTTP_PROXY for https, NO_PROXY entries matching one
// host exactly (`*` not at all). Every other connection of the step, the artifact service's own calls in this same
// thread included, follows @actions/http-client's rules, which the README documents. In the upload's own thread
// (its env is its own copy) the variables are rewritten so that both decide as http-client did on the originals:
// the lower-case names (which http-client reads first) keep the originals' values, the upper-case ones (which the
// SDK reads first) say the same in the SDK's terms.

const NAMES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

/** Rewrites `env`'s proxy variables: http-client's decisions for https kept, the Azure SDK's made the same. */
export function alignBlobProxy(env: NodeJS.ProcessEnv): void {
  const proxy = env['https_proxy'] || env['HTTPS_PROXY'] || '';
  const noProxyText = env['no_proxy'] || env['NO_PROXY'] || '';
  const noProxy = noProxyText.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const name of NAMES) delete env[name];
  // The proxy as http-client takes it: a URL with a host, or, when the text is no URL at all, http:// before it
  // (`proxy.example:3128` is a URL, of the scheme 'proxy.example:' and no host: http-client then connects directly).
  const url = proxyUrl(proxy);
  // No proxy, or none for any host (`*`): both connect directly with no variable set.
  if (url === undefined || noProxy.includes('*')) return;
  // http-client, first to read the lower-case names: what it read before.
  env['https_proxy'] = proxy;
  // (None given: ',' lists no host, where an empty value would send http-client on to the SDK's NO_PROXY below.)
  env['no_proxy'] = noProxyText !== '' ? noProxyText : ',';
  // The SDK, first to read the upper-case ones, gets the proxy as a URL (it refuses one without a scheme). http-client's entry `host` (with port 443 or none: the blob's is https) is that host and
  // its subdomains, the SDK's `.host`. Not said the same in its terms, and left as the SDK reads them: an entry with
  // a leading dot (http-client: the subdomains only; the SDK: the host too), and loopback past 127.0.0.1 (http-client
  // never proxies 127.*; the SDK proxies what it is not told of). A blob host is neither. And http_proxy, which
  // http-client would take for an http:// artifact service (never on github.com), is dropped: the SDK would take it
  // for https.
  env['HTTPS_PROXY'] = url;
  const hosts = noProxy.flatMap((e) => {
    const [host, port] = e.split(/:(?=\d+$)/);
    return port === undefined || port === '443' ? [host!.startsWith('.') ? host!.toLowerCase() : `.${host!.toLowerCase()}`] : [];
  });
  env['NO_PROXY'] = [...hosts, 'localhost', '127.0.0.1', '[::1]'].join(',');
}

/** The proxy http-client would use for https, as a URL, or undefined when it would connect directly. */
function proxyUrl(proxy: string): string | undefined {
  if (proxy === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(proxy);
  } catch {
    if (!proxy.startsWith('http://') && !proxy.startsWith('https://')) {
      try {
        url = new URL(`http://${proxy}`);
      } catch {
        url = undefined;
      }
    }
  }
  return url !== undefined && url.hostname !== '' ? url.href : undefined;
}
