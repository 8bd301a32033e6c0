/**
 * What Parley's werift peer connections negotiate (issue 4): Opus with DTX and in-band FEC plus the
 * audio-level extension; VP8, H.264 and VP9, each with RTX; NACK, PLI, FIR and REMB feedback.
 * No transport-cc: werift's own TWCC feedback starved Chrome's bandwidth estimate, so the SFU
 * sends REMB (or, later, its own correct TWCC feedback).
 */
import {
  RTCRtpCodecParameters,
  useAbsSendTime,
  useAudioLevelIndication,
  useFIR,
  useH264,
  useNACK,
  useOPUS,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  useVP8,
  useVP9,
  type RTCRtpHeaderExtensionParameters,
} from 'werift';

export const PAYLOAD_TYPES = { opus: 111, vp8: 96, vp8Rtx: 97, vp9: 98, vp9Rtx: 99, h264: 100, h264Rtx: 101 } as const;

function videoFeedback() {
  return [useNACK(), usePLI(), useFIR(), useREMB()];
}

function rtx(payloadType: number, apt: number): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType, parameters: `apt=${apt}` });
}

export interface WeriftCodecs {
  readonly audio: RTCRtpCodecParameters[];
  readonly video: RTCRtpCodecParameters[];
}

/** Fresh codec objects per peer connection: werift mutates them during negotiation. */
export function parleyCodecs(opts: { readonly rtx?: boolean } = {}): WeriftCodecs {
  const withRtx = opts.rtx ?? true;
  const video: RTCRtpCodecParameters[] = [];
  video.push(useVP8({ payloadType: PAYLOAD_TYPES.vp8, rtcpFeedback: videoFeedback() }));
  if (withRtx) video.push(rtx(PAYLOAD_TYPES.vp8Rtx, PAYLOAD_TYPES.vp8));
  video.push(useVP9({ payloadType: PAYLOAD_TYPES.vp9, rtcpFeedback: videoFeedback() }));
  if (withRtx) video.push(rtx(PAYLOAD_TYPES.vp9Rtx, PAYLOAD_TYPES.vp9));
  video.push(useH264({ payloadType: PAYLOAD_TYPES.h264, rtcpFeedback: videoFeedback() }));
  if (withRtx) video.push(rtx(PAYLOAD_TYPES.h264Rtx, PAYLOAD_TYPES.h264));
  return {
    audio: [useOPUS({ payloadType: PAYLOAD_TYPES.opus, parameters: 'minptime=10;useinbandfec=1;usedtx=1' })],
    video,
  };
}

export function parleyHeaderExtensions(): {
  audio: RTCRtpHeaderExtensionParameters[];
  video: RTCRtpHeaderExtensionParameters[];
} {
  return {
    audio: [useSdesMid(), useAudioLevelIndication(), useAbsSendTime()],
    video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId(), useAbsSendTime()],
  };
}
