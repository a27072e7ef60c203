import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from './aws-clients.js';

/**
 * The last `limit` lines of one awslogs stream (`<prefix>/<container>/<task id>`), or none when
 * they cannot be read: only used to explain a failure, never to make one.
 */
export async function readLogTail(clients: Pick<AwsClients, 'logs'>, logGroupName: string, logStreamName: string, limit = 20): Promise<string[]> {
  try {
    const response = await clients.logs.send(new GetLogEventsCommand({ logGroupName, logStreamName, limit, startFromHead: false }));
    return (response.events ?? []).map((event) => event.message ?? '').filter((line) => line !== '');
  } catch {
    return [];
  }
}
