/**
 * Protocol v0/v1 fallback (gopkg.in, old servers): refs come from the info/refs advertisement;
 * a fetch is one POST of wants (capabilities on the first), shallow/filter lines, haves and `done`.
 * The reply is optional shallow lines, one ACK/NAK, then the pack (side-band-64k if offered).
 */
import { UpstreamError } from '../errors.js';
import type { FetchArgs } from './fetch-args.js';
import type { AdvertisedRef } from './handshake.js';
import { FLUSH, pktLine, pktText, type PktReader } from './pkt-line.js';
import type { RawRef } from './refs.js';
import { remoteMessageError } from './remote-errors.js';
import { SidebandDemuxer } from './sideband.js';

export function refsFromAdvertisement(refs: AdvertisedRef[], caps: Map<string, string>): RawRef[] {
  const peeled = new Map<string, string>();
  for (const r of refs) if (r.name.endsWith('^{}')) peeled.set(r.name.slice(0, -3), r.oid);
  let headTarget: string | undefined;
  for (const s of (caps.get('symref') ?? '').split(' ')) {
    if (s.startsWith('HEAD:')) headTarget = s.slice(5);
  }
  const out: RawRef[] = [];
  for (const r of refs) {
    if (r.name.endsWith('^{}')) continue;
    const raw: RawRef = { oid: r.oid, name: r.name };
    const p = peeled.get(r.name);
    if (p) raw.peeled = p;
    if (r.name === 'HEAD' && headTarget) raw.symrefTarget = headTarget;
    out.push(raw);
  }
  return out;
}

export function buildFetchV0(caps: Map<string, string>, agent: string, args: FetchArgs): Buffer {
  const capList: string[] = [];
  if (caps.has('side-band-64k')) capList.push('side-band-64k');
  else if (caps.has('side-band')) capList.push('side-band');
  for (const c of ['ofs-delta', 'no-progress']) if (caps.has(c)) capList.push(c);
  if (args.depth1 && caps.has('shallow')) capList.push('shallow');
  if (args.filter && caps.has('filter')) capList.push('filter');
  if (caps.has('agent')) capList.push(`agent=${agent}`);
  const parts: Buffer[] = [];
  args.wants.forEach((w, i) => parts.push(pktLine(i === 0 ? `want ${w} ${capList.join(' ')}` : `want ${w}`)));
  if (args.depth1 && caps.has('shallow')) parts.push(pktLine('deepen 1'));
  if (args.filter && caps.has('filter')) parts.push(pktLine(`filter ${args.filter}`));
  parts.push(FLUSH);
  for (const h of args.haves ?? []) parts.push(pktLine(`have ${h}`));
  parts.push(pktLine('done'));
  return Buffer.concat(parts);
}

export interface V0Pack {
  demuxer: SidebandDemuxer | null;
  /** Raw pack bytes when the server has no side-band. */
  raw: AsyncIterable<Uint8Array> | null;
}

export async function openPackV0(
  reader: PktReader,
  caps: Map<string, string>,
  where: string,
  rest: () => AsyncIterable<Uint8Array>,
): Promise<V0Pack> {
  for (;;) {
    const p = await reader.next();
    if (p === null) throw new UpstreamError(`${where}: early EOF before the pack`);
    if (p.kind !== 'data') continue;
    const line = pktText(p.data);
    if (line.startsWith('ERR ')) throw remoteMessageError(where, line.slice(4));
    if (line.startsWith('shallow ') || line.startsWith('unshallow ')) continue;
    if (line === 'NAK' || line.startsWith('ACK ')) break;
    throw new UpstreamError(`${where}: unexpected line in fetch reply`);
  }
  if (caps.has('side-band-64k') || caps.has('side-band'))
    return { demuxer: new SidebandDemuxer(reader, where), raw: null };
  return { demuxer: null, raw: rest() };
}
