import { describeRoundTrip } from './roundTrip';

describeRoundTrip('in-process');
