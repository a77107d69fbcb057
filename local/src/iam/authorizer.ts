/**
 * IAM in the loop: every request signed with a function role's credentials is evaluated against that
 * role's generated policies, and refused with AccessDenied as AWS would; requests signed with any other
 * key (the AWS CLI, tests, provisioning) act as the account's administrator. RDS's own publications to
 * SNS topics are evaluated against the topic's resource policy.
 */
import { jsonResponse } from '../http';
import { awsErrorResponse } from '../edge/awsError';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';
import { evaluate, type AuthorizationRequest, type PolicyDocument, type RoleRefusal } from './evaluate';

export type { AssumedRoleCheck, RoleRefusal } from './evaluate';
import { authorizationRequests, type ContextSources } from './requestContext';
import { roleArn, type LocalRole } from './roles';

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
  /** Roles a service assumes on the account's behalf (schedule targets), by role ARN. */
  private readonly byRoleArn = new Map<string, { name: string; policies: PolicyDocument[] }>();

  constructor(
    roles: readonly LocalRole[],
    private readonly sources: ContextSources,
  ) {
    for (const role of roles) {
      this.byAccessKey.set(role.credentials.accessKeyId, role);
      this.byRoleArn.set(roleArn(role.accountId, role.name), role);
    }
  }

  /** Adds (or replaces) a role that services may assume, e.g. a schedule's target role in a test. */
  addRole(name: string, policies: PolicyDocument[], accountId = this.sources.accountId): string {
    const arn = roleArn(accountId, name);
    this.byRoleArn.set(arn, { name, policies });
    return arn;
  }

  /**
   * What a service (e.g. `scheduler.amazonaws.com`) may do with a role it assumes: undefined when every
   * request is allowed, else the refusal (recorded with the denials).
   */
  checkAssumedRole(arn: string, service: string, requests: AuthorizationRequest[]): RoleRefusal | undefined {
    const role = this.byRoleArn.get(arn);
    if (!role) {
      const message =
        `${service} could not assume role ${arn}: the local cloud knows no such role (the deployment's ` +
        `roles are known; register another with POST /_rewind/iam/roles {"name", "policies"})`;
      this.record(service, requests[0] ?? { action: 'sts:AssumeRole', resource: arn, context: {} }, message);
      return { reason: 'unknown-role', message };
    }
    for (const request of requests) {
      const decision = evaluate(role.policies, request);
      if (decision.allowed) continue;
      const message = deniedMessage(
        `arn:aws:sts::${arn.split(':')[4]}:assumed-role/${role.name}/${service}`,
        request,
        decision.reason === 'explicit-deny',
      );
      this.record(role.name, request, message);
      return { reason: 'denied', message };
    }
    return undefined;
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
        if (subpath === 'roles') return this.rolesAdmin(req);
        if (subpath !== 'denials')
          return jsonResponse(404, { error: 'known: /_rewind/iam/denials, /_rewind/iam/roles' });
        if (req.method === 'DELETE') this.denials.length = 0;
        return jsonResponse(200, { denials: this.denials });
      },
    };
  }

  private rolesAdmin(req: LocalRequest): LocalResponse {
    if (req.method === 'POST') {
      let body: { name?: unknown; policies?: unknown; accountId?: unknown };
      try {
        body = JSON.parse(req.body.toString('utf8') || '{}') as typeof body;
      } catch {
        return jsonResponse(400, {
          error: 'the body must be JSON: {"name", "policies": [policy documents]}',
        });
      }
      const { name, policies, accountId } = body;
      if (typeof name !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(name) || !Array.isArray(policies))
        return jsonResponse(400, {
          error:
            '"name" (1-64 of letters, digits, +=,.@_-) and "policies" (a list of policy documents) are required',
        });
      const arn = this.addRole(
        name,
        policies as PolicyDocument[],
        typeof accountId === 'string' ? accountId : undefined,
      );
      return jsonResponse(200, { arn });
    }
    return jsonResponse(200, { roles: [...this.byRoleArn.keys()] });
  }
}

function deniedMessage(principal: string, request: AuthorizationRequest, explicit: boolean): string {
  const why = explicit
    ? `with an explicit deny in an identity-based policy`
    : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}
