// The two HTTP transports of a run, made the same way by both doors (action and command line): the API's never
// follows a redirect (a token would go along), the downloads' follows only to where a link may point, and
// every request of either ends by 'timeout' plus one 'request-timeout', however slowly a server sends.
import { createHttpTransport, type HttpTransport } from '../cloud/http.ts';
import type { Config } from './config.ts';
import { checkLinkHost } from './download.ts';
import { formatDuration } from './duration.ts';
import { TimeoutError, inputName } from './errors.ts';

export interface RunTransports {
  api: HttpTransport;
  files: HttpTransport;
}

export function runTransports(config: Config, o: { userAgent: string; debug: (message: string) => void; signal?: AbortSignal | undefined }): RunTransports {
  // An idle timer alone lets a byte a second go on forever (the last poll comes at the deadline itself).
  const deadline = new AbortController();
  const limit = config.timeoutMs + config.requestTimeoutMs;
  setTimeout(() => deadline.abort(new TimeoutError(`${inputName('timeout')} (${formatDuration(config.timeoutMs)}) and one ${inputName('request-timeout')} (${formatDuration(config.requestTimeoutMs)}) ran out`)), limit).unref();
  const signal = o.signal ? AbortSignal.any([deadline.signal, o.signal]) : deadline.signal;
  const common = { userAgent: o.userAgent, socketTimeoutMs: config.requestTimeoutMs, debug: o.debug, signal };
  return {
    api: createHttpTransport({ ...common, followRedirects: false }),
    files: createHttpTransport({ ...common, followRedirects: true, checkRedirect: (url) => checkLinkHost(url, config.endpoint, "a download host's redirect") }),
  };
}
