/**
 * Simulcast layer index from the rid a publisher gave each encoding. Browsers and SDKs name them
 * differently: LiveKit-style q/h/f, l/m/h, or 0/1/2; the SDP's a=simulcast order wins when known.
 */

const KNOWN_ORDERS: ReadonlyArray<readonly string[]> = [
  ['q', 'h', 'f'],
  ['l', 'm', 'h'],
  ['0', '1', '2'],
  ['low', 'mid', 'high'],
];

/**
 * @param rid the packet's or track's rid; undefined without simulcast (layer 0)
 * @param order the rids from the publisher's a=simulcast line, lowest quality first, if known
 */
export function layerFromRid(rid: string | undefined, order?: readonly string[]): number {
  if (rid === undefined || rid === '') return 0;
  if (order !== undefined) {
    const i = order.indexOf(rid);
    if (i >= 0) return i;
  }
  for (const known of KNOWN_ORDERS) {
    const i = known.indexOf(rid);
    if (i >= 0) return i;
  }
  return 0;
}
