/** Turns what a user passes to `Room.connect` into the signaling WebSocket URL. */
export function signalingUrl(input: string, base?: string): string {
  const url = new URL(input, base ?? (typeof location !== 'undefined' ? location.href : undefined));
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/rtc';
  return url.toString();
}
