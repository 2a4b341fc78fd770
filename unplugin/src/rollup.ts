import { raceway } from './index.js';

/** `plugins: [raceway()]` in the rollup configuration. */
export default raceway.rollup;
