import { parseRecording, type RecordedRequest } from './iam-request-actions';

/**
 * moto's request recorder (its `/moto-api/recorder/…` routes): every request the server receives between
 * start and stop, as it received it. The server writes the recording to the file `MOTO_RECORDER_FILEPATH`
 * names in its environment (in its working directory otherwise).
 */
export class MotoRecorder {
  constructor(private readonly endpoint: string) {}

  /** Forgets what was recorded before and records from now on. */
  async start(): Promise<void> {
    await this.call('reset-recording');
    await this.call('start-recording');
  }

  /** Stops recording and returns what was recorded since `start`. */
  async stop(): Promise<RecordedRequest[]> {
    await this.call('stop-recording');
    const response = await fetch(`${this.endpoint}/moto-api/recorder/download-recording`);
    if (!response.ok) throw new Error(`moto's recorder answered ${response.status} to download-recording`);
    return parseRecording(await response.text());
  }

  private async call(route: string): Promise<void> {
    const response = await fetch(`${this.endpoint}/moto-api/recorder/${route}`, { method: 'POST' });
    if (!response.ok) throw new Error(`moto's recorder answered ${response.status} to ${route}`);
    await response.arrayBuffer();
  }
}
