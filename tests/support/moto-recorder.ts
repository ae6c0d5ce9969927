import { accessKeyOf, parseRecording, type RecordedRequest } from './iam-request-actions';

/**
 * moto's request recorder (its `/moto-api/recorder/…` routes): every request the server receives while it
 * records, as it received it. The server writes the recording to the file `MOTO_RECORDER_FILEPATH` names in
 * its environment (in its working directory otherwise). Callers that run at the same time are told apart by
 * the access key they sign with.
 */
export class MotoRecorder {
  constructor(private readonly endpoint: string) {}

  /** Forgets what was recorded before and records from now on. */
  async start(): Promise<void> {
    await this.call('reset-recording');
    await this.call('start-recording');
  }

  /** Stops recording. */
  async stop(): Promise<void> {
    await this.call('stop-recording');
  }

  /** What was recorded since `start` (recording goes on), of the caller signing with `accessKey` only. */
  async requestsOf(accessKey: string): Promise<RecordedRequest[]> {
    const response = await fetch(`${this.endpoint}/moto-api/recorder/download-recording`);
    if (!response.ok) throw new Error(`moto's recorder answered ${response.status} to download-recording`);
    return parseRecording(await response.text()).filter((request) => accessKeyOf(request) === accessKey);
  }

  private async call(route: string): Promise<void> {
    const response = await fetch(`${this.endpoint}/moto-api/recorder/${route}`, { method: 'POST' });
    if (!response.ok) throw new Error(`moto's recorder answered ${response.status} to ${route}`);
    await response.arrayBuffer();
  }
}
