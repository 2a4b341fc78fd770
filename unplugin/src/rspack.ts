import { raceway } from './index.js';

/** `plugins: [raceway()]` in the rspack configuration. */
export default raceway.rspack;
