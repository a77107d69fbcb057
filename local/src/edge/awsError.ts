import type { LocalRequest, LocalResponse } from '../types';
import { jsonResponse } from '../http';

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * An AWS-style error in the protocol family the caller speaks: JSON (`__type`) for JSON/REST clients,
 * an `<ErrorResponse>` XML document for query-protocol clients (form-encoded bodies).
 */
export function awsErrorResponse(
  req: LocalRequest,
  status: number,
  code: string,
  message: string,
): LocalResponse {
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType.includes('x-www-form-urlencoded')) {
    const body =
      `<ErrorResponse><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`;
    return { status, headers: { 'content-type': 'text/xml', 'x-amzn-errortype': code }, body };
  }
  return jsonResponse(status, { __type: code, message }, { 'x-amzn-errortype': code });
}
