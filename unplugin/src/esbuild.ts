import { raceway } from './index.js';

/** `plugins: [raceway()]` in the esbuild configuration. */
export default raceway.esbuild;
