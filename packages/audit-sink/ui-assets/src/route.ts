// Hash routes, so a search or a record has an address (back button, links, screenshots):
//   #/?user=42&outcome=denied&offset=50     a search
//   #/record?uid=…                           a record
import { FILTERS, type Filters } from './api';

export type Route = { page: 'search'; filters: Filters; offset: number } | { page: 'record'; uid: string };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [path, query = ''] = h.split('?', 2) as [string, string?];
  const q = new URLSearchParams(query);
  if (path === '/record' && q.get('uid')) return { page: 'record', uid: q.get('uid')! };
  const filters: Filters = {};
  for (const k of FILTERS) {
    const v = q.get(k);
    if (v) filters[k] = v;
  }
  if (q.get('order') === 'asc') filters.order = 'asc';
  const offset = Number(q.get('offset') ?? '0');
  return { page: 'search', filters, offset: Number.isInteger(offset) && offset > 0 ? offset : 0 };
}

export function searchHash(filters: Filters, offset = 0): string {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (filters[k]) q.set(k, filters[k]!);
  if (filters.order === 'asc') q.set('order', 'asc');
  if (offset) q.set('offset', String(offset));
  return `#/?${q}`;
}

export function recordHash(uid: string): string {
  return `#/record?${new URLSearchParams({ uid })}`;
}
