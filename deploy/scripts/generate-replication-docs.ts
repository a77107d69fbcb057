import { writeFileSync } from 'node:fs';
import { DEPLOY_DOC, generatedDeployDoc } from '../replicationDocs';

/** Regenerates the replication setup section of docs/deploy.md from rewind.config.example.json. */
writeFileSync(DEPLOY_DOC, generatedDeployDoc());
console.log(`wrote the replication setup section of ${DEPLOY_DOC}`);
