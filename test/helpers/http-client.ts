import { request as httpRequest } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A tiny browser over a real TCP connection to a listening server, from a
 * chosen local address (any 127.x.y.z on Linux), so tests can fire requests
 * in parallel from several "addresses". Keeps cookies and the last CSRF token.
 */
export class AddressClient {
  readonly cookies = new Map<string, string>();
  csrfToken = '';
  constructor(readonly port: number, readonly localAddress: string) {}

  send(method: 'GET' | 'POST', path: string, form?: Record<string, string>, raw?: { body: Buffer; contentType: string; onSent?: () => void }): Promise<HttpAnswer> {
    const payload = raw ? raw.body : form ? new URLSearchParams(form).toString() : undefined;
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
    if (payload !== undefined) {
      headers['content-type'] = raw ? raw.contentType : 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port: this.port, localAddress: this.localAddress, method, path, headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          for (const line of response.headers['set-cookie'] ?? []) {
            const [pair] = line.split(';');
            const index = pair!.indexOf('=');
            const name = pair!.slice(0, index);
            const value = pair!.slice(index + 1);
            if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          const token = /name="_csrf" value="([^"]+)"/.exec(body);
          if (token?.[1]) this.csrfToken = token[1];
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      if (raw?.onSent) outgoing.on('finish', raw.onSent);
      if (payload !== undefined) outgoing.write(payload);
      outgoing.end();
    });
  }

  get(path: string): Promise<HttpAnswer> {
    return this.send('GET', path);
  }

  /** Posts a body as it is (a multipart upload); `onSent` fires once the whole body has been handed to the network. */
  postRaw(path: string, body: Buffer, contentType: string, onSent?: () => void): Promise<HttpAnswer> {
    return this.send('POST', path, undefined, { body, contentType, onSent });
  }

  post(path: string, form: Record<string, string>): Promise<HttpAnswer> {
    return this.send('POST', path, { _csrf: this.csrfToken, ...form });
  }
}
