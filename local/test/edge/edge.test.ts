import { CreateTableCommand, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { SendEmailCommand, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { SendEmailCommand as SendEmailV2Command } from '@aws-sdk/client-sesv2';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { cloudClients, rawRequest } from '../cloudClients';

let cloud: LocalCloud;
let aws: ReturnType<typeof cloudClients>;

beforeAll(async () => {
  cloud = await spawnLocalCloud({ provision: false, functions: false });
  aws = cloudClients(cloud.endpoint);
});
afterAll(async () => {
  aws?.destroy();
  await cloud?.stop();
});

describe('SQS through the edge', () => {
  it('creates a queue whose URL points at the edge, sends, receives and deletes', async () => {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'edge-basics' }));
    expect(QueueUrl).toBe(`${cloud.endpoint}/000000000000/edge-basics`);

    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' } },
      }),
    );
    const { Messages } = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages?.[0]?.Body).toBe('{"hello":"world"}');
    expect(Messages?.[0]?.MessageAttributes?.kind?.StringValue).toBe('greeting');
    expect(Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    await aws.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages?.[0]?.ReceiptHandle }));
    const attrs = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe('0');
    expect(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('accepts a queue URL on another host name of the edge and answers URLs on the host the client used', async () => {
    await aws.sqs.send(new CreateQueueCommand({ QueueName: 'edge-hosts' }));
    const viaLocalhost = cloudClients(`http://localhost:${cloud.port}`);
    try {
      const { QueueUrl } = await viaLocalhost.sqs.send(new GetQueueUrlCommand({ QueueName: 'edge-hosts' }));
      expect(QueueUrl).toBe(`http://localhost:${cloud.port}/000000000000/edge-hosts`);
      await viaLocalhost.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'via localhost' }));
    } finally {
      viaLocalhost.destroy();
    }
    const { Messages } = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: `${cloud.endpoint}/000000000000/edge-hosts`,
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages?.[0]?.Body).toBe('via localhost');
  });

  it('a long poll returns as soon as a message arrives', async () => {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'edge-long-poll' }));
    const started = Date.now();
    const receive = aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await new Promise((r) => setTimeout(r, 200));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake up' }));
    const { Messages } = await receive;
    expect(Messages?.[0]?.Body).toBe('wake up');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('SQS query protocol (older SDKs and CLIs)', () => {
  const form = (params: Record<string, string>) =>
    rawRequest(cloud.endpoint, {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x',
      },
      body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
    });

  it('sends and receives with message attributes, answering XML', async () => {
    const created = await form({
      Action: 'CreateQueue',
      QueueName: 'edge-query',
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '7',
    });
    expect(created.text).toContain(`<QueueUrl>${cloud.endpoint}/000000000000/edge-query</QueueUrl>`);
    const QueueUrl = `${cloud.endpoint}/000000000000/edge-query`;
    const sent = await form({
      Action: 'SendMessage',
      QueueUrl,
      MessageBody: 'query <body>',
      'MessageAttribute.1.Name': 'kind',
      'MessageAttribute.1.Value.StringValue': 'q',
      'MessageAttribute.1.Value.DataType': 'String',
    });
    expect(sent.status).toBe(200);
    expect(sent.text).toMatch(/<SendMessageResponse[^>]*><SendMessageResult>.*<MessageId>/);
    const received = await form({
      Action: 'ReceiveMessage',
      QueueUrl,
      'MessageAttributeName.1': 'All',
      'AttributeName.1': 'All',
    });
    expect(received.text).toContain('<Body>query &lt;body&gt;</Body>');
    expect(received.text).toContain(
      '<MessageAttribute><Name>kind</Name><Value><StringValue>q</StringValue><DataType>String</DataType></Value></MessageAttribute>',
    );
    expect(received.text).toContain(
      '<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>',
    );
    const attrs = await form({
      Action: 'GetQueueAttributes',
      QueueUrl,
      'AttributeName.1': 'VisibilityTimeout',
    });
    expect(attrs.text).toContain('<Attribute><Name>VisibilityTimeout</Name><Value>7</Value></Attribute>');
  });

  it('answers errors as query-protocol XML with the SQS error code', async () => {
    const res = await form({
      Action: 'ReceiveMessage',
      QueueUrl: `${cloud.endpoint}/000000000000/does-not-exist`,
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
  });
});

describe('SNS through the edge', () => {
  it('fans a published message out to a subscribed queue', async () => {
    const { TopicArn } = await aws.sns.send(new CreateTopicCommand({ Name: 'edge-topic' }));
    expect(TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:edge-topic');
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'edge-topic-sub' }));
    const attrs = await aws.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await aws.sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: attrs.Attributes?.QueueArn }),
    );
    await aws.sns.send(new PublishCommand({ TopicArn, Message: 'fan out', Subject: 'hi' }));
    const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    const envelope = JSON.parse(Messages?.[0]?.Body ?? '{}') as { Message?: string; TopicArn?: string };
    expect(envelope.Message).toBe('fan out');
    expect(envelope.TopicArn).toBe(TopicArn);
  });
});

describe('DynamoDB through the edge', () => {
  it('puts, gets and queries items', async () => {
    await aws.dynamodb.send(
      new CreateTableCommand({
        TableName: 'edge-table',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    for (const sk of ['LOG#1', 'LOG#2', 'RUN']) {
      await aws.dynamodb.send(
        new PutItemCommand({
          TableName: 'edge-table',
          Item: { pk: { S: 'RUN#1' }, sk: { S: sk }, n: { N: '1' } },
        }),
      );
    }
    const got = await aws.dynamodb.send(
      new GetItemCommand({ TableName: 'edge-table', Key: { pk: { S: 'RUN#1' }, sk: { S: 'RUN' } } }),
    );
    expect(got.Item?.n?.N).toBe('1');
    const logs = await aws.dynamodb.send(
      new QueryCommand({
        TableName: 'edge-table',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
        ExpressionAttributeValues: { ':pk': { S: 'RUN#1' }, ':log': { S: 'LOG#' } },
      }),
    );
    expect(logs.Items?.map((i) => i.sk?.S)).toEqual(['LOG#1', 'LOG#2']);
  });
});

describe('SES sink', () => {
  beforeEach(() => cloud.admin.clearEmails());

  it('records SES v1 SendEmail and SendRawEmail and SES v2 SendEmail, and clears them', async () => {
    const v1 = await aws.ses.send(
      new SendEmailCommand({
        Source: 'rewind@example.com',
        Destination: { ToAddresses: ['ops@example.com', 'dba@example.com'], CcAddresses: ['cc@example.com'] },
        Message: { Subject: { Data: 'Run failed' }, Body: { Text: { Data: 'orders-db rolled back' } } },
      }),
    );
    expect(v1.MessageId).toBeTruthy();
    await aws.ses.send(
      new SendRawEmailCommand({
        Source: 'rewind@example.com',
        Destinations: ['raw@example.com'],
        RawMessage: { Data: Buffer.from('Subject: raw\r\n\r\nraw body') },
      }),
    );
    const v2 = await aws.sesv2.send(
      new SendEmailV2Command({
        FromEmailAddress: 'rewind@example.com',
        Destination: { ToAddresses: ['v2@example.com'] },
        Content: { Simple: { Subject: { Data: 'Run completed' }, Body: { Html: { Data: '<b>done</b>' } } } },
      }),
    );
    expect(v2.MessageId).toBeTruthy();

    const sent = await cloud.admin.sentEmails();
    expect(sent).toMatchObject([
      {
        api: 'ses-v1',
        action: 'SendEmail',
        messageId: v1.MessageId,
        from: 'rewind@example.com',
        to: ['ops@example.com', 'dba@example.com'],
        cc: ['cc@example.com'],
        subject: 'Run failed',
        text: 'orders-db rolled back',
      },
      { api: 'ses-v1', action: 'SendRawEmail', to: ['raw@example.com'], raw: 'Subject: raw\r\n\r\nraw body' },
      {
        api: 'ses-v2',
        action: 'SendEmail',
        messageId: v2.MessageId,
        to: ['v2@example.com'],
        subject: 'Run completed',
        html: '<b>done</b>',
      },
    ]);
    await cloud.admin.clearEmails();
    expect(await cloud.admin.sentEmails()).toEqual([]);
  });
});

describe('webhook sink', () => {
  beforeEach(() => cloud.admin.clearWebhooks());
  const post = (name: string, body: unknown) =>
    rawRequest(cloud.endpoint, {
      path: `/_rewind/webhook/${name}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('records Slack-style deliveries per webhook', async () => {
    expect(await post('alerts', { text: 'Run failed: orders-db' })).toEqual({ status: 200, text: 'ok' });
    await post('other', { blocks: [{ type: 'section' }] });
    const alerts = await cloud.admin.webhookDeliveries('alerts');
    expect(alerts).toMatchObject([{ name: 'alerts', status: 200, body: { text: 'Run failed: orders-db' } }]);
    expect(await cloud.admin.webhookDeliveries()).toHaveLength(2);
  });

  it('fails the next N deliveries of a webhook, then accepts', async () => {
    await cloud.admin.failWebhook('flaky', 2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('flaky', { text: `try ${i}` })).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect((await cloud.admin.webhookDeliveries('flaky')).map((d) => d.status)).toEqual([500, 500, 200]);
  });

  it('rejects a payload that is not Slack-style', async () => {
    expect(await post('alerts', { message: 'no text' })).toEqual({ status: 400, text: 'invalid_payload' });
  });
});

describe('routing', () => {
  it('answers an AWS-style error naming an unknown service and listing the supported ones', async () => {
    const res = await rawRequest(cloud.endpoint, {
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Kinesis_20131202.ListStreams',
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as { __type: string; message: string };
    expect(body.__type).toBe('UnknownService');
    expect(body.message).toContain('"kinesis"');
    for (const name of ['dynamodb', 'events', 'ses', 'sns', 'sqs'])
      expect(body.message).toContain(` ${name},`);
  });

  it('answers query-protocol callers of an unknown action in XML', async () => {
    const res = await rawRequest(cloud.endpoint, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeAlarms&Version=2010-08-01',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>UnknownService</Code>');
    expect(res.text).toContain('Action DescribeAlarms');
  });

  it('routes unsigned requests by X-Amz-Target', async () => {
    const res = await rawRequest(cloud.endpoint, {
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.ListEventBuses',
      },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ EventBuses: [{ Name: 'default' }] });
  });

  it('routes unsigned query requests by their Action', async () => {
    const topics = await rawRequest(cloud.endpoint, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListTopics&Version=2010-03-31',
    });
    expect(topics.status).toBe(200);
    expect(topics.text).toContain('ListTopicsResponse');
    await cloud.admin.clearEmails();
    const email = await rawRequest(cloud.endpoint, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=SendEmail&Source=a%40example.com&Destination.ToAddresses.member.1=b%40example.com&Message.Subject.Data=s&Message.Body.Text.Data=t',
    });
    expect(email.status).toBe(200);
    expect(await cloud.admin.sentEmails()).toMatchObject([{ to: ['b@example.com'], subject: 's' }]);
  });

  it('routes the SES v2 REST path without a signature', async () => {
    await cloud.admin.clearEmails();
    const res = await rawRequest(cloud.endpoint, {
      path: '/v2/email/outbound-emails',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        FromEmailAddress: 'a@example.com',
        Destination: { ToAddresses: ['c@example.com'] },
        Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'y' } } } },
      }),
    });
    expect(res.status).toBe(200);
    expect(await cloud.admin.sentEmails()).toMatchObject([{ api: 'ses-v2', to: ['c@example.com'] }]);
  });

  it('answers 404 for an unknown admin API and lists the known ones', async () => {
    const res = await rawRequest(cloud.endpoint, { method: 'GET', path: '/_rewind/nope/x' });
    expect(res.status).toBe(404);
    expect(res.text).toContain('webhook');
    expect(await cloud.admin.health()).toMatchObject({
      status: 'ok',
      services: expect.arrayContaining(['sqs', 'events']),
    });
  });
});
