/**
 * IAM in the loop: every request signed with a function role's credentials is evaluated against that
 * role's generated policies, and refused with AccessDenied as AWS would; requests signed with any other
 * key (the AWS CLI, tests, provisioning) act as the account's administrator. RDS's own publications to
 * SNS topics are evaluated against the topic's resource policy.
 */
import { jsonResponse } from '../http';
import { awsErrorResponse } from '../edge/awsError';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';
import { evaluate, type AuthorizationRequest, type PolicyDocument } from './evaluate';
import { authorizationRequests, type ContextSources } from './requestContext';
import type { LocalRole } from './roles';

export interface Denial {
  at: string;
  role: string;
  action: string;
  resource: string;
  message: string;
}

/** Error code, HTTP status and message prefix of AccessDenied per service, as each protocol spells it. */
const ACCESS_DENIED: Record<string, { code: string; status: number }> = {
  rds: { code: 'AccessDenied', status: 403 },
  elasticache: { code: 'AccessDenied', status: 403 },
  monitoring: { code: 'AccessDenied', status: 403 },
  sqs: { code: 'AccessDenied', status: 403 },
  sns: { code: 'AuthorizationError', status: 403 },
  dynamodb: { code: 'AccessDeniedException', status: 400 },
  events: { code: 'AccessDeniedException', status: 400 },
  ses: { code: 'AccessDeniedException', status: 403 },
  email: { code: 'AccessDeniedException', status: 403 },
};

function accessKeyOf(req: LocalRequest): string | undefined {
  const auth = req.headers['authorization'];
  if (typeof auth !== 'string') return undefined;
  return /Credential=([^/]+)\//.exec(auth)?.[1];
}

export class IamAuthorizer {
  private readonly byAccessKey = new Map<string, LocalRole>();
  private readonly denials: Denial[] = [];

  constructor(
    roles: readonly LocalRole[],
    private readonly sources: ContextSources,
  ) {
    for (const role of roles) this.byAccessKey.set(role.credentials.accessKeyId, role);
  }

  /** The AccessDenied response for a request its caller's role may not make; undefined when allowed. */
  authorize(req: LocalRequest, service: string): LocalResponse | undefined {
    const key = accessKeyOf(req);
    const role = key ? this.byAccessKey.get(key) : undefined;
    if (!role) return undefined;
    const needed = authorizationRequests(service, req, this.sources);
    for (const request of needed ?? []) {
      const decision = evaluate(role.policies, request);
      if (decision.allowed) continue;
      const message = deniedMessage(role.principalArn, request, decision.reason === 'explicit-deny');
      this.record(role.name, request, message);
      if (service === 'rds' && request.action.startsWith('kms:')) {
        // RDS reports a key it may not use on the caller's behalf as its own fault.
        return awsErrorResponse(
          req,
          400,
          'KMSKeyNotAccessibleFault',
          `The specified KMS key [${request.resource}] does not exist, is not enabled or you do not have ` +
            `permissions to access it. (${message})`,
        );
      }
      const { code, status } = ACCESS_DENIED[service] ?? { code: 'AccessDeniedException', status: 403 };
      const response = awsErrorResponse(req, status, code, message);
      if (service === 'sqs')
        response.headers = { ...response.headers, 'x-amzn-query-error': `${code};Sender` };
      return response;
    }
    return undefined;
  }

  /** Whether a service principal may publish to a topic under the topic's resource policy. */
  allowsServicePublish(
    topicPolicy: PolicyDocument | undefined,
    servicePrincipal: string,
    request: AuthorizationRequest,
  ): boolean {
    const allowed =
      topicPolicy !== undefined && evaluate([topicPolicy], request, { service: servicePrincipal }).allowed;
    if (!allowed) {
      this.record(
        servicePrincipal,
        request,
        `${servicePrincipal} is not authorized to perform: ${request.action} on resource: ${request.resource} ` +
          `(aws:SourceArn ${String(request.context['aws:SourceArn'])}): the topic policy allows no such publication`,
      );
    }
    return allowed;
  }

  private record(role: string, request: AuthorizationRequest, message: string) {
    this.denials.push({
      at: new Date().toISOString(),
      role,
      action: request.action,
      resource: request.resource,
      message,
    });
    if (this.denials.length > 1000) this.denials.shift();
  }

  /** `/_rewind/iam/denials`: what was refused (DELETE clears). */
  adminService(): EmulatedService {
    return {
      signingNames: [],
      adminPrefix: 'iam',
      handle: async () => jsonResponse(404, {}),
      admin: async (req, subpath) => {
        if (subpath !== 'denials') return jsonResponse(404, { error: 'known: /_rewind/iam/denials' });
        if (req.method === 'DELETE') this.denials.length = 0;
        return jsonResponse(200, { denials: this.denials });
      },
    };
  }
}

function deniedMessage(principal: string, request: AuthorizationRequest, explicit: boolean): string {
  const why = explicit
    ? `with an explicit deny in an identity-based policy`
    : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}
