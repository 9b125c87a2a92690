/**
 * `npm run docs [-- --check]`: every generated document — docs/patches.md (gen-patches-doc.ts)
 * and the op catalogue of docs/scenario-format.md (gen-op-catalogue.ts).
 */
import './gen-patches-doc.js';
import './gen-op-catalogue.js';
