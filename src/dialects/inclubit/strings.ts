/**
 * The strings of the original Inclubit 360 servers, exact (Swedish, emoji included): existing
 * clients show them to users and may compare them.
 */
export const SIGNALING = {
  noRoom: 'No room provided. Are you stupid?',
  noMetadata: 'No metadata provided. Required to join room.',
  roomFull: 'Rummet verkar vara fullt 😥',
  welcome: 'Gunnars episka websocket server för att hantera videosamtal!!!!',
} as const;

/** The refusal when the only member already has the newcomer's role (two senders or two viewers). */
export function alreadyInRoom(sender: boolean): string {
  const type = sender ? 'sändare' : 'åskådare';
  const base = `Det finns redan en ${type} i rummet 😮 Kan det vara så att du redan har en flik med samma rum öppnad?`;
  return sender ? `${base} Eller är det någon annan som också försöker skicka video användandes samma rumsnamn?` : base;
}

export const AUTH = {
  adminHello: 'hello from admin. you passed',
  usersSet: 'user data set',
  notFound: 'the resource was not found',
  noUserData: 'no userdata found',
  writeFailed: "couldn't create/write userdata",
  readFailed: "couldn't read/parse current user data... bailing out!",
  crash: 'crash boom boom',
} as const;
