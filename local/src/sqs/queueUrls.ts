/**
 * fauxqs names each queue by an internal URL (`http://sqs.<region>.localhost:4566/<account>/<name>`), fixed
 * when the queue is created. Clients see URLs on the edge's own host instead; these functions map
 * between the two, so a client keeps talking to the edge whichever host name it used.
 */
export const INTERNAL_HOST = 'localhost:4566';
const INTERNAL_URL = /http:\/\/sqs\.[a-z0-9-]+\.localhost:4566(?=\/)/g;

export function internalQueueUrl(region: string, accountId: string, queueName: string): string {
  return `http://sqs.${region}.${INTERNAL_HOST}/${accountId}/${queueName}`;
}

/** A client's queue URL (any host) -> the internal URL with the same account and name. */
export function toInternalQueueUrl(clientUrl: string, region: string): string {
  let path: string;
  try {
    path = new URL(clientUrl).pathname;
  } catch {
    return clientUrl;
  }
  const [, accountId, name] = path.split('/');
  if (!accountId || !name) return clientUrl;
  return internalQueueUrl(region, accountId, name);
}

/** Rewrites internal URLs in a response body to the origin the client used. */
export function toClientUrls(text: string, clientOrigin: string): string {
  return text.replace(INTERNAL_URL, clientOrigin);
}

/** `arn:aws:sqs:<region>:<account>:<name>` -> internal URL. */
export function internalQueueUrlFromArn(queueArn: string): string {
  const parts = queueArn.split(':');
  const [region, accountId, name] = [parts[3], parts[4], parts.slice(5).join(':')];
  if (parts[2] !== 'sqs' || !region || !accountId || !name)
    throw new Error(`Not an SQS queue ARN: ${queueArn}`);
  return internalQueueUrl(region, accountId, name);
}
