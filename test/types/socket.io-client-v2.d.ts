/** socket.io-client 2 installed under an alias (package.json) for the socket.io 2 dialect tests; it ships no types. */
declare module 'socket.io-client-v2' {
  const io: (url: string, opts?: Record<string, unknown>) => unknown;
  export default io;
}
