/** Plain counters kept by a core (cheap on the packet path); the runner exports them to prom-client. */
export class TurnStats {
  allocationsCreated = 0;
  allocationsActive = 0;
  packetsToPeer = 0;
  bytesToPeer = 0;
  packetsToClient = 0;
  bytesToClient = 0;
  readonly authFailures = new Map<string, number>();
  readonly refusedPeers = new Map<string, number>();
  readonly drops = new Map<string, number>();

  static bump(m: Map<string, number>, k: string, n = 1): void {
    m.set(k, (m.get(k) ?? 0) + n);
  }

  drop(reason: string): void {
    TurnStats.bump(this.drops, reason);
  }

  /** Plain snapshot (structured-clonable, for worker → main). */
  snapshot(): StatsSnapshot {
    return {
      allocationsCreated: this.allocationsCreated,
      allocationsActive: this.allocationsActive,
      packetsToPeer: this.packetsToPeer,
      bytesToPeer: this.bytesToPeer,
      packetsToClient: this.packetsToClient,
      bytesToClient: this.bytesToClient,
      authFailures: Object.fromEntries(this.authFailures),
      refusedPeers: Object.fromEntries(this.refusedPeers),
      drops: Object.fromEntries(this.drops),
    };
  }
}

export interface StatsSnapshot {
  allocationsCreated: number;
  allocationsActive: number;
  packetsToPeer: number;
  bytesToPeer: number;
  packetsToClient: number;
  bytesToClient: number;
  authFailures: Record<string, number>;
  refusedPeers: Record<string, number>;
  drops: Record<string, number>;
}
