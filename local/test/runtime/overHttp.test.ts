import { describeRoundTrip } from './roundTrip';

describeRoundTrip('http');
