import type { DeviceDirectory, DeviceQuery } from '../directory/index.js';
import { presentationToQuery } from '../policy/index.js';
import { errorCode, type LoadTarget, type Outcome } from './target.js';
import type { Presentation } from './population.js';
import type { WorkItem } from './workload.js';

/**
 * Device look-ups against the DCs through devicegate's own LDAP backend (openDirectory + find): the
 * same filters, attributes, size and time limits devicegate sends, one search per request, no cache.
 * Presentations become queries the way the decision path makes them (presentationToQuery, which parses
 * certificates into the exact altSecurityIdentities key), once per distinct presentation.
 */
export class LdapTarget implements LoadTarget {
  readonly kind = 'ldap' as const;
  readonly labels = ['found', 'notFound'] as const;
  readonly #directory: DeviceDirectory;
  readonly #queries = new WeakMap<Presentation, DeviceQuery | string>();

  constructor(directory: DeviceDirectory) {
    this.#directory = directory;
  }

  #query(presentation: Presentation): DeviceQuery | string {
    let q = this.#queries.get(presentation);
    if (q === undefined) {
      try {
        q = presentationToQuery(presentation).query;
      } catch (error) {
        q = errorCode(error);
      }
      this.#queries.set(presentation, q);
    }
    return q;
  }

  async send(item: WorkItem): Promise<Outcome> {
    const query = this.#query(item.presentation);
    if (typeof query === 'string') return { ok: false, error: query };
    try {
      const record = await this.#directory.find(query);
      return { ok: true, label: record ? 'found' : 'notFound' };
    } catch (error) {
      return { ok: false, error: errorCode(error) };
    }
  }

  async close(): Promise<void> {
    await this.#directory.close();
  }
}
