import { packageBuild } from '../../tsup.base.js';

// `create-mlops` (bin/create-mlops.js runs dist/bin.js).
export default packageBuild(['src/bin.ts']);
