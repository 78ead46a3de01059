import t from 'tap';
import { openScanner, type DirectoryScanner } from '../../src/directory/index.js';
import { inventoryCases } from './inventory-cases.js';
import { WORLD_LDIF } from './world.js';

let scanner: DirectoryScanner | undefined;
t.before(async () => {
  scanner = await openScanner({ url: `ldif:${WORLD_LDIF}` });
});
t.teardown(() => scanner?.close());
inventoryCases(t, () => scanner!, { pageSize: 4 });
