/**
 * Protocol v2 commands over stateless HTTP: `ls-refs` (HEAD, branches, tags only; peeled, with
 * symrefs) and `fetch` (no-progress, ofs-delta, done; deepen/filter only when advertised).
 */
import { UpstreamError } from '../errors.js';
import type { FetchArgs } from './fetch-args.js';
import { DELIM, FLUSH, pktLine, pktText, type PktReader } from './pkt-line.js';
import { OID_RE } from './objects.js';
import type { RawRef } from './refs.js';
import { remoteMessageError } from './remote-errors.js';
import { SidebandDemuxer } from './sideband.js';

function commandHeader(command: string, caps: Map<string, string>, agent: string): Buffer[] {
  const out = [pktLine(`command=${command}`)];
  if (caps.has('agent')) out.push(pktLine(`agent=${agent}`));
  if (caps.has('object-format')) out.push(pktLine('object-format=sha1'));
  return out;
}

/** Features listed for a v2 command, e.g. `fetch=shallow filter` → {shallow, filter}. */
export function commandFeatures(caps: Map<string, string>, command: string): Set<string> {
  return new Set((caps.get(command) ?? '').split(' ').filter(Boolean));
}

export function buildLsRefs(caps: Map<string, string>, agent: string): Buffer {
  if (!caps.has('ls-refs')) throw new UpstreamError('server does not offer ls-refs');
  return Buffer.concat([
    ...commandHeader('ls-refs', caps, agent),
    DELIM,
    pktLine('peel'),
    pktLine('symrefs'),
    pktLine('ref-prefix HEAD'),
    pktLine('ref-prefix refs/heads/'),
    pktLine('ref-prefix refs/tags/'),
    FLUSH,
  ]);
}

export async function parseLsRefs(reader: PktReader, where: string): Promise<RawRef[]> {
  const refs: RawRef[] = [];
  for (;;) {
    const p = await reader.next();
    if (p === null) throw new UpstreamError(`${where}: early EOF in ls-refs reply`);
    if (p.kind === 'flush' || p.kind === 'response-end') return refs;
    if (p.kind !== 'data') throw new UpstreamError(`${where}: protocol error in ls-refs reply`);
    const line = pktText(p.data);
    if (line.startsWith('ERR ')) throw remoteMessageError(where, line.slice(4));
    const [oid = '', name = '', ...attrs] = line.split(' ');
    if (!OID_RE.test(oid) || !name) throw new UpstreamError(`${where}: bad ls-refs line`);
    const ref: RawRef = { oid, name };
    for (const a of attrs) {
      if (a.startsWith('symref-target:')) ref.symrefTarget = a.slice('symref-target:'.length);
      else if (a.startsWith('peeled:')) ref.peeled = a.slice('peeled:'.length);
    }
    if (name === 'HEAD' || name.startsWith('refs/heads/') || name.startsWith('refs/tags/')) refs.push(ref);
  }
}

export function buildFetchV2(caps: Map<string, string>, agent: string, args: FetchArgs): Buffer {
  const features = commandFeatures(caps, 'fetch');
  const parts = [...commandHeader('fetch', caps, agent), DELIM, pktLine('no-progress'), pktLine('ofs-delta')];
  if (args.depth1 && features.has('shallow')) parts.push(pktLine('deepen 1'));
  if (args.filter && features.has('filter')) parts.push(pktLine(`filter ${args.filter}`));
  for (const w of args.wants) parts.push(pktLine(`want ${w}`));
  for (const h of args.haves ?? []) parts.push(pktLine(`have ${h}`));
  parts.push(pktLine('done'), FLUSH);
  return Buffer.concat(parts);
}

/** Skips the sections before `packfile` and returns the demuxer positioned on pack data. */
export async function openPackV2(reader: PktReader, where: string): Promise<SidebandDemuxer> {
  let atSectionStart = true;
  for (;;) {
    const p = await reader.next();
    if (p === null) throw new UpstreamError(`${where}: early EOF before the packfile section`);
    if (p.kind === 'flush' || p.kind === 'response-end') {
      throw new UpstreamError(`${where}: reply ended without a packfile`);
    }
    if (p.kind === 'delim') {
      atSectionStart = true;
      continue;
    }
    const line = pktText(p.data);
    if (line.startsWith('ERR ')) throw remoteMessageError(where, line.slice(4));
    if (atSectionStart && line === 'packfile') return new SidebandDemuxer(reader, where);
    // acknowledgments, shallow-info, wanted-refs, packfile-uris: nothing we need
    atSectionStart = false;
  }
}
