/**
 * Dimension 14, streaming and backpressure: can a caller consume a poem as it arrives, and does a
 * consumer that holds back slow the server down? The model's data says whether it can stream
 * (`streamPoem`); a model that only hands back whole poems gets `n/a`. For one that streams, the
 * consumer takes the first piece of a 16 MB poem and then holds back for half a second; the bytes
 * the server managed to send meanwhile show whether anything pushed back (a few socket buffers'
 * worth: backpressure; the whole poem: none). Then it reads the rest, which must be the poem.
 */
import { generatePoem } from '../../poetry/poems/index.ts';
import { startFastServer } from '../../poetry/servers/index.ts';
import { failed, measured, notApplicable, type Probe, single } from './cell.ts';
import { childFunction } from './child.ts';
import { sha256 } from './fetch.ts';
import { bytes } from './format.ts';
import { until } from './lab.ts';

const poemBytes = 16_000_000;
const holdBackMs = 500;

/** The stream opened by `openInChild`, held at its first piece for `drainInChild`. */
let open: { iterator: AsyncIterator<Uint8Array>; first: Uint8Array } | undefined;

export const openInChild = childFunction<
  { address: { host: string; port: number } },
  { streams: boolean; firstBytes: number }
>(import.meta.url, 'openInChild', async (model, { address }) => {
  if (!model.streamPoem) return { streams: false, firstBytes: 0 };
  const iterator = model.streamPoem(address)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new Error('the stream ended before its first piece');
  open = { iterator, first: first.value };
  return { streams: true, firstBytes: first.value.byteLength };
});

export const drainInChild = childFunction<Record<string, never>, { bytes: number; sha256: string }>(
  import.meta.url,
  'drainInChild',
  async () => {
    const stream = open;
    open = undefined;
    if (!stream) throw new Error('no stream is open');
    const pieces = [stream.first];
    for (;;) {
      const next = await stream.iterator.next();
      if (next.done) break;
      pieces.push(next.value);
    }
    const poem = Buffer.concat(pieces);
    return { bytes: poem.byteLength, sha256: sha256(poem) };
  },
);

let poem: { readonly bytes: Buffer; readonly sha256: string } | undefined;

export const streaming: Probe = {
  id: 14,
  title: 'Streaming and backpressure',
  says: `can a caller consume a poem as it arrives? bytes a ${poemBytes / 1e6} MB server sends while the consumer holds back`,
  file: 'harness/matrix/streaming.ts',
  better: 'lower',
  stable: true,
  budgetMs: 20_000,
  async measure({ client, lab, signal }) {
    poem ??= (() => {
      const text = generatePoem(poemBytes, 5);
      return { bytes: text, sha256: sha256(text) };
    })();
    const server = await lab.keep(startFastServer({ poem: poem.bytes }));
    const opened = await client.call(openInChild, { address: server.address }, signal);
    if (!opened.streams) return single(notApplicable('hands back whole poems only (its data has no streamPoem)'));
    const heldFrom = server.stats.bytesSent;
    await until(() => false, holdBackMs, signal);
    const sentWhileHeld = server.stats.bytesSent;
    const drained = await client.call(drainInChild, {}, signal);
    const figures = {
      firstPiece: opened.firstBytes,
      sentBeforeHolding: heldFrom,
      sentWhileHeld,
      poemBytes,
      intact: drained.sha256 === poem.sha256,
    };
    if (drained.sha256 !== poem.sha256) return single(failed('the streamed poem is not the poem', figures));
    const bounded = sentWhileHeld < poemBytes / 2;
    const stable = bounded
      ? 'yes; a slow consumer slows the server (backpressure)'
      : 'yes; no backpressure: the server sent it all';
    const text = `${stable}: ${bytes(sentWhileHeld)} of ${bytes(poemBytes)} sent while held`;
    return single(measured(text, figures, { stable, score: sentWhileHeld }));
  },
};
