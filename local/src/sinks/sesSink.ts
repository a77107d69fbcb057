import { randomUUID } from 'node:crypto';
import { jsonResponse } from '../http';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';
import { awsErrorResponse } from '../edge/awsError';
import { resolveCaller, type IdentityOptions } from '../edge/identity';

/** An email the SES sink accepted. */
export interface SentEmail {
  messageId: string;
  /** The account that sent it (the caller's, from its access key). */
  account: string;
  api: 'ses-v1' | 'ses-v2';
  action: 'SendEmail' | 'SendRawEmail';
  from?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject?: string;
  text?: string;
  html?: string;
  /** Decoded raw MIME message (SendRawEmail / v2 Raw content). */
  raw?: string;
  sentAt: string;
}

const V1_NS = 'http://ses.amazonaws.com/doc/2010-12-01/';

function members(form: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${prefix}.member.${i}`); i++) out.push(form.get(`${prefix}.member.${i}`) ?? '');
  return out;
}

function v1Email(
  form: URLSearchParams,
  action: 'SendEmail' | 'SendRawEmail',
): Omit<SentEmail, 'messageId' | 'sentAt' | 'account'> {
  if (action === 'SendRawEmail') {
    const data = form.get('RawMessage.Data') ?? '';
    return {
      api: 'ses-v1',
      action,
      from: form.get('Source') ?? undefined,
      to: members(form, 'Destinations'),
      cc: [],
      bcc: [],
      replyTo: [],
      raw: Buffer.from(data, 'base64').toString('utf8'),
    };
  }
  return {
    api: 'ses-v1',
    action,
    from: form.get('Source') ?? undefined,
    to: members(form, 'Destination.ToAddresses'),
    cc: members(form, 'Destination.CcAddresses'),
    bcc: members(form, 'Destination.BccAddresses'),
    replyTo: members(form, 'ReplyToAddresses'),
    subject: form.get('Message.Subject.Data') ?? undefined,
    text: form.get('Message.Body.Text.Data') ?? undefined,
    html: form.get('Message.Body.Html.Data') ?? undefined,
  };
}

interface V2Input {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  Content?: {
    Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string }; Html?: { Data?: string } } };
    Raw?: { Data?: string };
  };
}

function v2Email(input: V2Input): Omit<SentEmail, 'messageId' | 'sentAt' | 'account'> {
  const simple = input.Content?.Simple;
  const raw = input.Content?.Raw?.Data;
  return {
    api: 'ses-v2',
    action: raw !== undefined ? 'SendRawEmail' : 'SendEmail',
    from: input.FromEmailAddress,
    to: input.Destination?.ToAddresses ?? [],
    cc: input.Destination?.CcAddresses ?? [],
    bcc: input.Destination?.BccAddresses ?? [],
    replyTo: input.ReplyToAddresses ?? [],
    subject: simple?.Subject?.Data,
    text: simple?.Body?.Text?.Data,
    html: simple?.Body?.Html?.Data,
    raw: raw !== undefined ? Buffer.from(raw, 'base64').toString('utf8') : undefined,
  };
}

/**
 * SES sink: accepts SES v1 (query protocol) SendEmail / SendRawEmail and SES v2 SendEmail
 * (`POST /v2/email/outbound-emails`), records each email; `/_rewind/ses/messages` reads them back
 * (GET) and clears them (DELETE).
 */
export function createSesSink(
  callers: IdentityOptions,
): EmulatedService & { readonly sent: readonly SentEmail[] } {
  const sent: SentEmail[] = [];
  const record = (email: Omit<SentEmail, 'messageId' | 'sentAt' | 'account'>, account: string): string => {
    const messageId = `${randomUUID()}-local`;
    sent.push({ ...email, messageId, account, sentAt: new Date().toISOString() });
    return messageId;
  };

  async function handle(req: LocalRequest): Promise<LocalResponse> {
    const account = resolveCaller(req, callers).accountId;
    if (req.path.startsWith('/v2/email/')) {
      if (req.method !== 'POST' || req.path !== '/v2/email/outbound-emails') {
        return awsErrorResponse(
          req,
          404,
          'NotFoundException',
          `The SES sink supports only POST /v2/email/outbound-emails, not ${req.method} ${req.path}`,
        );
      }
      const input = JSON.parse(req.body.toString('utf8') || '{}') as V2Input;
      if (!input.Destination?.ToAddresses?.length && !input.Content?.Raw) {
        return awsErrorResponse(
          req,
          400,
          'BadRequestException',
          'Destination.ToAddresses must name at least one recipient',
        );
      }
      return jsonResponse(200, { MessageId: record(v2Email(input), account) });
    }
    const form = new URLSearchParams(req.body.toString('utf8'));
    const action = form.get('Action') ?? req.query.get('Action') ?? '';
    if (action !== 'SendEmail' && action !== 'SendRawEmail') {
      return awsErrorResponse(
        req,
        400,
        'InvalidAction',
        `The SES sink supports SendEmail and SendRawEmail, not "${action}"`,
      );
    }
    const email = v1Email(form, action);
    if (email.to.length + email.cc.length + email.bcc.length === 0 && action === 'SendEmail') {
      return awsErrorResponse(
        req,
        400,
        'InvalidParameterValue',
        'Missing final @domain: no recipient in Destination',
      );
    }
    const messageId = record(email, account);
    const body =
      `<${action}Response xmlns="${V1_NS}"><${action}Result><MessageId>${messageId}</MessageId></${action}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
    return { status: 200, headers: { 'content-type': 'text/xml' }, body };
  }

  async function admin(req: LocalRequest, subpath: string): Promise<LocalResponse> {
    if (subpath !== 'messages')
      return jsonResponse(404, { error: 'SES sink admin routes: GET|DELETE /_rewind/ses/messages' });
    if (req.method === 'DELETE') {
      const cleared = sent.splice(0).length;
      return jsonResponse(200, { cleared });
    }
    return jsonResponse(200, { messages: sent });
  }

  return { signingNames: ['ses', 'email'], handle, adminPrefix: 'ses', admin, sent };
}
