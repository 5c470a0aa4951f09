import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for an SMS gateway (127.0.0.1, port 0) that behaves like a
 * real one: it checks the key, delivers each idempotency key at most once
 * (a repeat is answered with the first answer and delivers nothing), and by
 * `plan` fails some requests (500, nothing delivered) and leaves others
 * unanswered after delivering (the sender times out and must retry safely).
 */
export type GatewayAction = 'ok' | 'fail' | 'timeout';

export interface FakeGateway {
  url: string;
  /** Outbox id -> what was delivered to the phone. */
  delivered: Map<string, { phone: string; text: string }>;
  /** Requests per outbox id (first tries and retries). */
  requestsById: Map<string, number>;
  requests: number;
  answered: Record<GatewayAction, number>;
  close(): Promise<void>;
}

export async function startFakeGateway(key: string, plan: (requestNumber: number) => GatewayAction = () => 'ok'): Promise<FakeGateway> {
  const gateway: Omit<FakeGateway, 'url' | 'close'> = { delivered: new Map(), requestsById: new Map(), requests: 0, answered: { ok: 0, fail: 0, timeout: 0 } };
  const handle = (request: IncomingMessage, response: ServerResponse, body: string) => {
    if (request.headers.authorization !== `Bearer ${key}`) return response.writeHead(401).end();
    const id = String(request.headers['idempotency-key'] ?? '');
    const sms = JSON.parse(body) as { id: string; phone: string; text: string };
    if (id === '' || sms.id !== id) return response.writeHead(400).end();
    gateway.requests += 1;
    gateway.requestsById.set(id, (gateway.requestsById.get(id) ?? 0) + 1);
    const action = plan(gateway.requests);
    gateway.answered[action] += 1;
    if (action === 'fail') return response.writeHead(500).end('{"error":"busy"}');
    if (!gateway.delivered.has(id)) gateway.delivered.set(id, { phone: sms.phone, text: sms.text });
    if (action === 'timeout') return undefined; // delivered, but the answer never comes
    return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `gw-${id}` }));
  };
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => handle(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(gateway, {
    url: `http://127.0.0.1:${port}/sms`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
