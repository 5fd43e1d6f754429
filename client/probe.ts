/**
 * A plain TCP connect before the gRPC connection: a refused port or an unknown host then fails in
 * milliseconds with the real reason, instead of gRPC retrying silently until its connect timeout.
 */
import net from 'node:net';

const PROXY_VARS = ['grpc_proxy', 'https_proxy', 'http_proxy', 'GRPC_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY'];

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address);
  if (!m) return { host: address, port: 7233 };
  return { host: m[1], port: m[2] ? Number(m[2]) : 7233 };
}

/** Resolves when the address accepts TCP connections; otherwise rejects with a short reason. */
export async function probe(address: string, timeoutMs: number, env: Record<string, string | undefined> = process.env): Promise<void> {
  if (PROXY_VARS.some((k) => env[k])) return; // gRPC goes through the proxy: a direct probe proves nothing
  const { host, port } = splitAddress(address);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no connection within ${timeoutMs / 1000} s`)));
    socket.once('connect', () => done());
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? `host ${host} not found` : e.message;
      done(new Error(why));
    });
  });
}
