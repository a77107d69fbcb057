import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { ServiceContext } from './context';

const DESCRIBES = [
  DescribeDBInstancesCommand,
  DescribeDBClustersCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBClusterSnapshotsCommand,
];

/**
 * One look at a step describes each resource once. A look reads the same database for several of its
 * operations (restored? configured? untagged?) and for its verification, a few milliseconds apart: the
 * account's RDS API budget (12 calls/s shared by every run) is better spent elsewhere. The context this
 * returns answers a describe asked again with the same input from the first answer; any other call (a
 * change) forgets every answer, so a look never reads its own change from before it.
 */
export function lookingOnce(ctx: ServiceContext): ServiceContext {
  const rds = ctx.rds;
  const answers = new Map<string, Promise<unknown>>();
  const send = (command: { input: unknown }, ...rest: unknown[]): Promise<unknown> => {
    const call = () => (rds.send as (c: unknown, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
    const describe = DESCRIBES.find((d) => command instanceof d);
    if (!describe) {
      answers.clear();
      return call();
    }
    const key = `${DESCRIBES.indexOf(describe)} ${JSON.stringify(command.input)}`;
    let answer = answers.get(key);
    if (!answer) {
      answer = Promise.resolve(call());
      answers.set(key, answer);
      // An error is the answer for this look too; the next look asks again.
      answer.catch(() => undefined);
    }
    return answer;
  };
  const looking = Object.create(rds, { send: { value: send } }) as RDSClient;
  return { ...ctx, rds: looking };
}
