import { RDS_EVENT_SOURCES } from '@rewind/shared';
import {
  eventBridgeQueuePolicy,
  getAtt,
  join,
  ref,
  serviceTrustPolicy,
  TARGET_RETRY_POLICY,
  type Cfn,
  type CfnResource,
} from './cfn';
import { param } from './params';

/**
 * A DR pair: Rewind is deployed in two regions (same stage), each with its own bus, table and services.
 * A DR run lives in the region it was requested in (the DR region when the primary region is down), and
 * waits on RDS events of both regions: each region's bus forwards the RDS cluster and instance events
 * that happened in its own region to the peer region's bus (a bus-to-bus rule with a role; the peer bus's
 * resource policy admits the account). Only events of the rule's own region are forwarded, so an event
 * never travels back.
 */

export const HAS_DR_PEER = 'HasDrPeer';

/** The pattern of the events forwarded to the peer: RDS events that happened here. */
export function drPeerPattern(region: Cfn): Record<string, unknown> {
  return {
    source: [...RDS_EVENT_SOURCES],
    'detail-type': ['RDS DB Cluster Event', 'RDS DB Instance Event'],
    region: [region],
    'replay-name': [{ exists: false }],
  };
}

export function drPeerResources(
  names: { busName: string; prefix: string },
  alarm: (queue: string) => CfnResource,
): Record<string, CfnResource> {
  const peerBus = join(
    'arn:',
    ref('AWS::Partition'),
    ':events:',
    param('drPeerRegion'),
    ':',
    ref('AWS::AccountId'),
    `:event-bus/${names.busName}`,
  );
  return {
    DrPeerRole: {
      Type: 'AWS::IAM::Role',
      Condition: HAS_DR_PEER,
      Properties: {
        Description: 'EventBridge: forwards this region RDS events to the DR peer region Rewind bus',
        AssumeRolePolicyDocument: serviceTrustPolicy('events.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'put-on-peer-bus',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: ['events:PutEvents'], Resource: peerBus }],
            },
          },
        ],
      },
    },
    DrPeerRule: {
      Type: 'AWS::Events::Rule',
      Condition: HAS_DR_PEER,
      Properties: {
        Name: `${names.prefix}-dr-peer`,
        Description: 'RDS events of this region, to the DR peer region (a DR run there waits on them)',
        EventBusName: ref('EventBus'),
        EventPattern: drPeerPattern(ref('AWS::Region')),
        State: 'ENABLED',
        Targets: [
          {
            Id: 'peer-bus',
            Arn: peerBus,
            RoleArn: getAtt('DrPeerRole', 'Arn'),
            RetryPolicy: TARGET_RETRY_POLICY,
            DeadLetterConfig: { Arn: getAtt('DrPeerDlq', 'Arn') },
          },
        ],
      },
    },
    DrPeerDlq: {
      Type: 'AWS::SQS::Queue',
      Condition: HAS_DR_PEER,
      Properties: {
        QueueName: `${names.prefix}-dr-peer-dlq`,
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    },
    DrPeerDlqAlarm: alarm('DrPeerDlq'),
    DrPeerDlqPolicy: {
      ...eventBridgeQueuePolicy(['DrPeerDlq'], [getAtt('DrPeerRule', 'Arn')]),
      Condition: HAS_DR_PEER,
    },
    // The peer region's rule puts events here with a role of this account.
    DrPeerBusPolicy: {
      Type: 'AWS::Events::EventBusPolicy',
      Condition: HAS_DR_PEER,
      Properties: {
        EventBusName: ref('EventBus'),
        StatementId: 'rewind-dr-peer',
        Statement: {
          Effect: 'Allow',
          Principal: { AWS: join('arn:', ref('AWS::Partition'), ':iam::', ref('AWS::AccountId'), ':root') },
          Action: 'events:PutEvents',
          Resource: getAtt('EventBus', 'Arn'),
        },
      },
    },
  };
}
