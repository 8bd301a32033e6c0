/** Sample payload parts for webhook tests. */
import type { ParticipantInfo, RoomInfo, TrackInfo } from '../../../src/signaling/protocol.js';

export function sampleRoom(name = 'standup'): RoomInfo {
  return { sid: `RM_${name}`, name, type: 'p2p', metadata: '', maxParticipants: 4, emptyTimeout: 300, createdAt: 1_700_000_000_000, numParticipants: 1, origin: 'native' };
}

export function sampleParticipant(identity = 'ada'): ParticipantInfo {
  return {
    sid: `PA_${identity}`,
    identity,
    name: identity.toUpperCase(),
    metadata: '',
    joinedAt: 1_700_000_000_500,
    permissions: { canPublish: true, canSubscribe: true, canPublishData: true, hidden: false, roomAdmin: false },
    tracks: [],
  };
}

export function sampleTrack(): TrackInfo {
  return { sid: 'TR_cam', cid: 'local-cam', kind: 'video', source: 'camera', name: 'camera', muted: false, width: 1280, height: 720 };
}
