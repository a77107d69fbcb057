import { IntakeRefusal, type EventDetail } from '@rewind/shared';

export type RejectionCode = EventDetail<'RestoreRejected'>['code'];

/** A request intake refuses, with a reason that says what to fix. */
export class Rejection extends IntakeRefusal<RejectionCode> {}
