/** Config sections of the compatibility dialects (src/dialects/). Each is off unless listed in `dialects.enabled`. */
import { z } from 'zod';
import { list, optionalString, port, positiveInt } from './fields.js';

export const DIALECTS = ['jsongle', 'workspaces', 'inclubit'] as const;
export type DialectName = (typeof DIALECTS)[number];

export const dialectsSection = z
  .object({
    enabled: list()
      .pipe(z.array(z.enum(DIALECTS, { error: (i) => `unknown dialect "${String(i.input)}" (known: ${DIALECTS.join(', ')})` })))
      .describe('Dialects to run, comma-separated: jsongle, workspaces, inclubit'),
    jsongle: z
      .object({
        port: port(8080).describe('JSONgle socket.io port'),
        restPort: port(8081).describe('JSONgle monitoring REST port'),
        appToken: optionalString().describe('Token clients must send in the socket.io auth ({ appToken }); unset: none required'),
        maxUsers: positiveInt(10).describe('Concurrent JSONgle connections allowed'),
        maxMembersPerRoom: positiveInt(2).describe('Members of a P2P (session-join) room'),
        maxMembersPerMultiRoom: positiveInt(10).describe('Members of a multi-user (muc-join) room'),
        serverId: z.string().default('jsongle-server').describe('Server JID (the `from` of server messages)'),
        corsOrigin: z.string().default('*').describe('socket.io CORS origin'),
      })
      .prefault({}),
    workspaces: z
      .object({
        port: port(9090).describe('webRTCWorkspaces socket.io port'),
        jwtSecret: optionalString().describe('HS256 secret of workspace tokens (generated into the store when unset)'),
        salt: optionalString().describe('The original SALT_STRING: a plain string mixed into what is hashed with bcrypt (keep the old value so existing tokens stay valid); generated when unset'),
        maxAttendees: positiveInt(4).describe('Attendees per workspace counting the owner (who is never refused)'),
      })
      .prefault({}),
    inclubit: z
      .object({
        port: port(3000).describe('Inclubit 360 signaling (socket.io) port'),
        authPort: port(6060).describe('Inclubit auth API port'),
        adminUser: optionalString().describe('HTTP basic-auth user of /admin/*'),
        adminPassword: optionalString().describe('HTTP basic-auth password of /admin/*'),
        turnCredentialTtl: positiveInt(12 * 3600).describe('Seconds TURN credentials from /user/get-turn-credentials stay valid'),
      })
      .prefault({}),
    staticDir: optionalString().describe('Folder of a single-page app to serve (with SPA fallback), as Caddy did for Inclubit'),
  })
  .prefault({});
