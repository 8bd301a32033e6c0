/**
 * The seam between the load tester's peers and a server's signaling. A target speaks one server's
 * protocol (Parley's native protocol here; Janus VideoRoom in bench/sfu/janus.ts) and drives the
 * peers through offer/answer and candidates; the peers know nothing of the server.
 */

/** An ICE candidate as browsers write it (`candidate:...`), with the m-line it belongs to. */
export interface Candidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** A sending peer with one video track; it offers. */
export interface PublisherPeer {
  /** Creates and applies the offer; `mid` is the video m-line's. */
  createOffer(): Promise<{ sdp: string; mid: string }>;
  setAnswer(sdp: string): Promise<void>;
  /** `null`: end of candidates. */
  addRemoteCandidate(c: Candidate | null): Promise<void>;
  onLocalCandidate(cb: (c: Candidate | null) => void): void;
}

/** A receiving peer; it answers the server's offers (a new one whenever the server renegotiates). */
export interface SubscriberPeer {
  answer(offerSdp: string): Promise<string>;
  addRemoteCandidate(c: Candidate | null): void;
  onLocalCandidate(cb: (c: Candidate | null) => void): void;
}

/** One participant's signaling session, whatever the protocol. */
export interface TargetSession {
  /** What the server said went wrong after the join (e.g. a refused subscription), for the report. */
  readonly problems?: readonly string[];
  close(): Promise<void>;
}

export interface SfuTarget {
  /** Shown in progress lines and reports ("parley", "janus"). */
  readonly name: string;
  /** Called once before anyone connects, with how many participants will join. */
  prepare(participants: number): Promise<void>;
  /** Joins as publisher `index` and negotiates its connection; resolves once the answer is applied. */
  publish(index: number, peer: PublisherPeer, video: { width: number; height: number }): Promise<TargetSession>;
  /** Joins as subscriber `index` to every published track; resolves once the first answer is sent. */
  subscribe(index: number, peer: SubscriberPeer): Promise<TargetSession>;
  /** Ends what `prepare` made (rooms). */
  close(): Promise<void>;
}
