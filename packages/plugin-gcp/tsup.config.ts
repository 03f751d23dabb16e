import { packageBuild } from '../../tsup.base.js';

// The Vertex AI job's entry, run as `node …/dist/job-main.js` inside the image.
export default packageBuild(['src/job-main.ts']);
