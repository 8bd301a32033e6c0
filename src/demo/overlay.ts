/** The text of a tile's receive overlay: layer and resolution, bitrate, loss (pure). */
import type { InboundTrackStats, SimulcastLayer } from '../client/index.js';
import { layerOfWidth } from '../client/index.js';

export function formatBitrate(bps: number): string {
  return bps >= 1_000_000 ? `${(bps / 1_000_000).toFixed(2)} Mbps` : `${Math.round(bps / 1000)} kbps`;
}

export function statsLines(stats: InboundTrackStats, layers: readonly SimulcastLayer[] | undefined): string[] {
  const layer = layerOfWidth(layers, stats.frameWidth);
  const size = stats.frameWidth > 0 ? `${stats.frameWidth}x${stats.frameHeight} @${Math.round(stats.framesPerSecond)}fps` : 'no frames yet';
  return [
    layer ? `${layer.quality} (${layer.rid}) ${size}` : size,
    `${formatBitrate(stats.bitrate)} · loss ${(stats.loss * 100).toFixed(1)}%`,
  ];
}
