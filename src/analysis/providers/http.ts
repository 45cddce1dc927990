// One HTTP request for the web and Prometheus providers, with a timeout and optional TLS verification
// off (the metric's `insecure`). Connection failures and timeouts are transient.
import { Agent as HttpsAgent } from 'node:https';
import fetch, { type RequestInit } from 'node-fetch';
import { TransientError } from './provider.js';

/** A request as a metric describes it. */
export interface HttpCall {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | undefined;
  readonly timeoutMs: number;
  readonly insecure?: boolean | undefined;
}

/** The answer. */
export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

const insecureAgent = new HttpsAgent({ rejectUnauthorized: false });

/** Sends the request; throws TransientError when no answer arrives. */
export async function send(call: HttpCall): Promise<HttpAnswer> {
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    throw new Error(`invalid URL ${JSON.stringify(call.url)}`);
  }
  try {
    const response = await fetch(url.toString(), {
      method: call.method,
      headers: call.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      ...(call.insecure && url.protocol === 'https:' ? { agent: insecureAgent } : {}),
      // node-fetch 2 types its own AbortSignal; Node's global one is what it accepts at runtime.
      signal: AbortSignal.timeout(call.timeoutMs) as RequestInit['signal'],
    });
    return { status: response.status, text: await response.text() };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TransientError(`${call.method} ${url.origin}${url.pathname}: ${reason}`);
  }
}
