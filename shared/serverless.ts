import { sharedStack } from '../deploy/sharedStack';

export default sharedStack();
