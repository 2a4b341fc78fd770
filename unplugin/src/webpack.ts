import { raceway } from './index.js';

/** `plugins: [raceway()]` in the webpack configuration. */
export default raceway.webpack;
