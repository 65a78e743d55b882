import { cacheKeys } from '../services/cache';
import { readThrough, remembered, rememberUnstamped, STAMP_CACHE_TTL_S } from './cache';
import { type ChannelView, type D1Meter, loadChannelView } from './view';

/** A mapped deployment key lives a day in KV; an unknown one a minute (a new channel may take it). */
const KNOWN_KEY_TTL_S = 24 * 60 * 60;
const UNKNOWN_KEY_TTL_S = 60;

interface KeyRef {
  channelId: string | null;
}

/**
 * The cached view of a deployment key, or null when it names no live channel. A hit costs no
 * D1 read; a miss costs one (loadChannelView). The key → channel mapping is cached in KV
 * `deployment:{key}`; the view under the channel's stamp, `releases:{channelId}:v{stamp}`.
 */
export async function channelViewOf(
  env: Pick<Env, 'DB' | 'CACHE'>,
  deploymentKey: string,
  waitUntil: (work: Promise<unknown>) => void,
  meter?: D1Meter,
): Promise<ChannelView | null> {
  const memoKey = `deployment:${deploymentKey}`;
  const fresh = remembered<ChannelView | null>(memoKey);
  if (fresh) return fresh.value;

  const ref = await env.CACHE.get<KeyRef>(cacheKeys.deployment(deploymentKey), {
    type: 'json',
    cacheTtl: STAMP_CACHE_TTL_S,
  });
  if (!ref) {
    // First sight of this key here: the view's own read resolves it. Which stamp that read
    // matches is unknown, so the view stays in this isolate only; the mapping goes to KV.
    const view = await loadChannelView(env.DB, deploymentKey, meter);
    rememberUnstamped(memoKey, view);
    waitUntil(rememberKey(env.CACHE, deploymentKey, view));
    return view;
  }
  const { channelId } = ref;
  if (!channelId) {
    rememberUnstamped(memoKey, null);
    return null;
  }
  const view = await readThrough<ChannelView | null>({
    kv: env.CACHE,
    memoKey,
    stampKey: cacheKeys.channelVersion(channelId),
    viewKey: (stamp) => cacheKeys.releases(channelId, stamp),
    load: () => loadChannelView(env.DB, deploymentKey, meter),
    // The channel's entry is shared by its current key only: a rotated-away key loads null.
    shareable: (loaded) => loaded !== null,
    waitUntil,
  });
  if (view?.deploymentKey === deploymentKey) return view;
  if (!view) waitUntil(rememberKey(env.CACHE, deploymentKey, null));
  return null;
}

function rememberKey(kv: KVNamespace, deploymentKey: string, view: ChannelView | null) {
  const ref: KeyRef = { channelId: view?.channelId ?? null };
  return kv
    .put(cacheKeys.deployment(deploymentKey), JSON.stringify(ref), {
      expirationTtl: view ? KNOWN_KEY_TTL_S : UNKNOWN_KEY_TTL_S,
    })
    .catch(() => {});
}
