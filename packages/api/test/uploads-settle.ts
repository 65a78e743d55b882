import { UploadJobJson } from '@skypatch/protocol';
import { api } from './request';

/**
 * Polls an upload job until the queue consumer has finished with it (the test runtime delivers
 * queue messages to the Worker's own consumer), as a client would poll GET …/uploads/{jobId}.
 */
export async function settledUpload(key: string, orgId: string, jobId: string) {
  for (let i = 0; i < 100; i++) {
    const job = UploadJobJson.parse(
      (await api(key).get(`/v1/orgs/${orgId}/uploads/${jobId}`)).body,
    );
    if (job.status === 'complete' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`upload ${jobId} never settled`);
}
