import { DurableObject } from 'cloudflare:workers';

export const UPLOAD_JOB_STATES = ['pending', 'processing', 'complete', 'failed'] as const;
export type UploadJobState = (typeof UPLOAD_JOB_STATES)[number];

/** Seed 002's UploadStatusDO state: one instance per upload job. */
export interface UploadStatus {
  jobId: string;
  status: UploadJobState;
  progress: number; // 0-100
  error?: string;
  updatedAt: string;
}

export interface StatusUpdate {
  status: UploadJobState;
  progress?: number;
  error?: string;
}

const FINAL: ReadonlySet<UploadJobState> = new Set(['complete', 'failed']);
const STATE_KEY = 'state';

/**
 * Live progress of one upload job. The queue consumer calls `updateStatus()` over RPC; watchers
 * connect with a WebSocket (hibernation API, so idle watchers cost nothing) and receive every
 * state as JSON; `GET` answers the current state.
 */
export class UploadStatusDO extends DurableObject<Env> {
  async getStatus(): Promise<UploadStatus | null> {
    return (await this.ctx.storage.get<UploadStatus>(STATE_KEY)) ?? null;
  }

  async updateStatus(jobId: string, update: StatusUpdate): Promise<UploadStatus> {
    const current = await this.getStatus();
    // A finished job stays finished: a late or redelivered message must not revive it.
    if (current && FINAL.has(current.status)) return current;
    const progress = Math.max(
      0,
      Math.min(100, Math.round(update.progress ?? current?.progress ?? 0)),
    );
    const next: UploadStatus = {
      jobId,
      status: update.status,
      progress: update.status === 'complete' ? 100 : progress,
      ...(update.error ? { error: update.error } : {}),
      updatedAt: new Date().toISOString(),
    };
    await this.ctx.storage.put(STATE_KEY, next);
    const message = JSON.stringify(next);
    for (const socket of this.ctx.getWebSockets()) socket.send(message);
    return next;
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      const pair = new WebSocketPair();
      this.ctx.acceptWebSocket(pair[1]);
      const state = await this.getStatus();
      if (state) pair[1].send(JSON.stringify(state));
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    const state = await this.getStatus();
    if (!state)
      return Response.json(
        { error: { code: 'NOT_FOUND', message: 'Unknown upload job' } },
        { status: 404 },
      );
    return Response.json(state);
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === 'ping') socket.send('pong');
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    // 1005 ("no status") and 1006 ("abnormal") describe a close; they may not be sent in one.
    socket.close(code === 1005 || code === 1006 ? 1000 : code, 'closing');
  }
}
