/**
 * The review's search attributes as the operator API registers them: for servers that learn custom attributes over
 * the API (the Java test server, a Temporal cluster) rather than from start-up arguments (the CLI's dev server).
 */
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

type IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** Name → indexed value type, for `operatorService.addSearchAttributes`; `skip` leaves out those already there. */
export function searchAttributesToRegister(skip: Iterable<string> = []): Record<string, IndexedValueType> {
  const TYPES = temporal.api.enums.v1.IndexedValueType;
  const known = new Set(skip);
  return Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES)
    .filter(([k]) => !known.has(k))
    .map(([k, t]) => [k, t === 'DATETIME' ? TYPES.INDEXED_VALUE_TYPE_DATETIME : t === 'KEYWORD_LIST' ? TYPES.INDEXED_VALUE_TYPE_KEYWORD_LIST : TYPES.INDEXED_VALUE_TYPE_KEYWORD]));
}

/**
 * A visibility query naming every one of the review's attributes, each compared with a value of its type: a server
 * accepts it only once it knows them all (a frontend that has not yet seen a registration refuses an unknown name).
 */
export function queryNamingEveryAttribute(): string {
  return Object.entries(SEARCH_ATTRIBUTES)
    .map(([name, type]) => (type === 'DATETIME' ? `${name} > '2000-01-01T00:00:00Z'` : `${name} = 'x'`))
    .join(' AND ');
}
