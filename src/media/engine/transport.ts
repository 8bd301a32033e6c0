/**
 * The boundary between the SFU logic and the WebRTC engine: raw RTP/RTCP in and out as Buffers,
 * transport events, incoming tracks with their rid/ssrc/mid, data channel messages. Everything
 * above this file is engine-agnostic; werift-transport.ts is the only implementation today.
 *
 * RTP header extensions cross this boundary in Parley's canonical id space (CANONICAL_EXT_IDS),
 * so that a packet from one peer connection can be sent on another whose SDP negotiated other
 * ids: each implementation maps ids on the way in and out.
 */
import type { PacketRewrite } from '../rtp/rewrite.js';
import type { ExtensionIds } from '../rtp/extensions.js';

export type MediaKind = 'audio' | 'video';

export type TransportState = 'connected' | 'failed' | 'closed';

export interface CodecInfo {
  readonly mimeType: string;
  readonly clockRate: number;
  readonly payloadType: number;
  readonly channels?: number;
}

/** Extension ids used for RTP crossing the boundary, whatever each SDP negotiated. */
export const CANONICAL_EXT_IDS = {
  audioLevel: 1,
  absSendTime: 2,
} as const satisfies ExtensionIds;

export interface SessionDescription {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
}

export interface IceCandidate {
  readonly candidate: string;
  readonly sdpMid?: string;
  readonly sdpMLineIndex?: number;
}

export interface IncomingTrack {
  /** Unique within the transport. */
  readonly id: string;
  readonly kind: MediaKind;
  readonly mid: string | undefined;
  /** Simulcast rid (q/h/f or what the publisher named them); undefined without simulcast. */
  readonly rid: string | undefined;
  /** 0 until the first packet has been delivered when the track was announced by rid only. */
  readonly ssrc: number;
  readonly codec: CodecInfo;
  /** Each call receives a Buffer owned by the handler (never shared with other handlers). */
  onRtp(handler: (packet: Buffer) => void): () => void;
  /** Of the packets delivered, those that skipped the engine's own receive chain (ADR 0010). */
  readonly fastPackets?: number;
}

export interface OutgoingTrack {
  readonly id: string;
  readonly kind: MediaKind;
  readonly mid: string | undefined;
  /** SSRC, payload type and RTX (if negotiated) announced to the remote; known once negotiated. */
  readonly ssrc: number;
  readonly rtx: { readonly ssrc: number; readonly payloadType: number } | undefined;
  readonly codec: CodecInfo | undefined;
  /**
   * Sends one RTP packet (canonical extension ids) with `rewrite` applied to the copy that goes out.
   * Never modifies `packet` (shared by every subscriber, kept for NACKs). `steady`: the forwarder
   * is on its target layer, not muted, and the packet is in order, so the engine may forward the
   * stream's next packets with the same rewrite itself until `beforeChange` (ADR 0011).
   */
  sendRtp(packet: Buffer, rewrite?: PacketRewrite, steady?: boolean): void;
  /** The forwarder is about to change what it sends (layer, mute): the engine stops forwarding on its own. */
  beforeChange?(): void;
  /**
   * Ends sending: the m-line becomes inactive at the next negotiation. It is never rejected (port
   * 0): Chromium fails to apply an offer that recycles a rejected m-line into its BUNDLE group
   * ("Failed to setup RTCP mux"), so ended m-lines are kept and reused with `resume`.
   */
  stop(): void;
  /** Sends again on an m-line `stop` ended (same kind and codec). */
  resume(): void;
}

export interface DataMessage {
  readonly label: string;
  readonly data: Buffer | string;
}

export interface MediaTransportEvents {
  state: (state: TransportState) => void;
  track: (track: IncomingTrack) => void;
  /** One compound RTCP packet received from the remote. */
  rtcp: (packet: Buffer) => void;
  data: (message: DataMessage) => void;
  candidate: (candidate: IceCandidate) => void;
}

export interface MediaTransport {
  readonly id: string;
  on<E extends keyof MediaTransportEvents>(event: E, handler: MediaTransportEvents[E]): () => void;

  /** Negotiation, driven by signaling. Parley answers publishers and offers to subscribers. */
  setRemoteDescription(description: SessionDescription): Promise<void>;
  createAnswer(): Promise<SessionDescription>;
  createOffer(): Promise<SessionDescription>;
  addIceCandidate(candidate: IceCandidate): Promise<void>;

  /** Publisher side when Parley offers: one receive-only m-line (simulcast layers arrive by rid). */
  addIncoming(kind: MediaKind): void;
  /**
   * Subscriber side: a new send-only m-line; negotiate before sending. `mimeType` restricts it to
   * the publisher's codec (and its RTX): the SFU forwards, it does not transcode.
   */
  addOutgoing(kind: MediaKind, opts?: { readonly mimeType?: string }): OutgoingTrack;
  /** Sends a compound RTCP packet (PLI, FIR, REMB, SR...) to the remote. */
  sendRtcp(packet: Buffer): void;
  /** Opens a data channel from this side (before the next offer). */
  createDataChannel(label: string, opts: { readonly ordered: boolean; readonly maxRetransmits?: number }): void;
  /** Sends on an open data channel with this label; false if there is none. */
  sendData(label: string, data: Buffer | string): boolean;
  close(): Promise<void>;
}
