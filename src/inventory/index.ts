export { buildInventory, type InventoryOptions } from './build-inventory.js';
export { KEY_AGE_BUCKETS, type InventoryReport, type DeviceCounts, type KeyCounts, type Finding, type FindingKind, type KeyAgeBucket } from './inventory-report.js';
export { renderFindingsCsv } from './render-csv.js';
export { renderInventoryHtml } from './render-html.js';
export { renderInventoryTable } from './render-table.js';
export { checkWhfb, parseUserLookup, type WhfbCheckResult, type WhfbCheckItem, type CheckStatus } from './whfb-check.js';
