import { packageBuild } from '../../tsup.base.js';

// `mlops` (bin/mlops.js runs dist/cli/bin.js).
export default packageBuild(['src/cli/bin.ts']);
