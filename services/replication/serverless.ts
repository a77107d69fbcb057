import { serviceStack } from '../../deploy/serviceStack';

export default serviceStack('replication');
