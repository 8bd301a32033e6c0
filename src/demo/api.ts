/** The development token endpoint (POST /api/dev/token), available when Parley runs without API keys. */
export interface DevToken {
  token: string;
  /** Signaling WebSocket URL to connect to. */
  url: string;
  identity?: string;
}

export async function fetchDevToken(room: string, name: string, identity?: string): Promise<DevToken> {
  const res = await fetch('/api/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room, name, ...(identity ? { identity } : {}) }),
  });
  const body: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const message = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : `HTTP ${res.status}`;
    throw new Error(res.status === 403 ? `This server has API keys configured; ask its operator for a token. (${message})` : message);
  }
  const { token, url } = body as { token?: unknown; url?: unknown };
  if (typeof token !== 'string') throw new Error('the token endpoint answered without a token');
  const out: DevToken = { token, url: typeof url === 'string' ? url : location.origin };
  const id = (body as { identity?: unknown }).identity;
  if (typeof id === 'string') out.identity = id;
  return out;
}
