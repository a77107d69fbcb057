import type { RDSClient } from '@aws-sdk/client-rds';
import type { ServiceContext } from './context';

/**
 * A describe only reads. Recognised by the command's class name, which the bundles keep
 * (`keepNames` in deploy/serviceStack.ts): importing the command classes here would make every service
 * look, to the IAM check of the packaged stacks, as if it called every describe.
 */
const describeName = (command: object): string | undefined => {
  const name = command.constructor.name;
  return /^Describe\w+Command$/.test(name) ? name : undefined;
};

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
    const describe = describeName(command as object);
    if (!describe) {
      answers.clear();
      return call();
    }
    const key = `${describe} ${JSON.stringify(command.input)}`;
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
