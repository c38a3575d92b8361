// The demo's scripted workload against examples/orders-service, and what it sent: the numbers
// every backend must hold afterwards.

interface Step { method: string; url: string; user?: string; body?: unknown }

export const ADA = '42'; // admin (CASL `manage all`: recorded as bypassed)
export const BOB = '7'; // clerk at acme
const EVE = '9'; // clerk at globex

export interface Sent { requests: number; decisions: number; denied: number; bypassed: number; mutations: number; rules: number; cache: number }

/**
 * The steps: each change is preceded by the same user's list read, so the tenant's cached
 * list exists and the change invalidates it. Covers granted, denied and bypassed decisions,
 * creates, updates and deletes, rules that pass and fail, and anonymous calls.
 */
function steps(): Step[] {
  const read = (user?: string): Step => ({ method: 'GET', url: '/orders', user });
  const list: Step[] = [];
  const change = (user: string, s: Omit<Step, 'user'>) => list.push(read(user), { ...s, user });
  for (const [total, customer] of [[100, 'ACME Anvils'], [400, 'ACME Rockets'], [2500, 'ACME Magnets'], [700, 'ACME Glue']] as const) {
    change(BOB, { method: 'POST', url: '/orders', body: { customer, total, card: '4111111111111111' } });
  }
  change(EVE, { method: 'POST', url: '/orders/1/approve' }); // other tenant: denied
  change(BOB, { method: 'POST', url: '/orders/1/approve' }); // both rules pass
  change(BOB, { method: 'POST', url: '/orders/3/approve' }); // over the limit: rule fails
  change(BOB, { method: 'DELETE', url: '/orders/2' }); // clerks cannot delete: denied
  change(ADA, { method: 'DELETE', url: '/orders/2' }); // admin: bypassed
  change(ADA, { method: 'POST', url: '/orders/4/approve' }); // admin: bypassed, rules pass
  list.push(read(), { method: 'POST', url: '/orders', body: { customer: 'nobody', total: 1 } }); // anonymous: denied
  return list;
}

/** What one answered step adds to the counts. */
function count(sent: Sent, s: Step, status: number): number {
  sent.requests++;
  if (status !== 404) sent.decisions++; // every route asks CASL exactly once
  if (status === 403) sent.denied++;
  else if (s.user === ADA) sent.bypassed++;
  const changed = s.method !== 'GET' && [200, 201, 204].includes(status);
  if (changed) sent.mutations++;
  if (changed) sent.cache++; // the same user's read just cached the tenant's list
  if (s.url.endsWith('/approve') && (status === 200 || status === 422)) sent.rules += 2; // two rules per run
  return s.user === BOB ? (status !== 404 ? 1 : 0) + (changed ? 1 : 0) : 0;
}

/**
 * Sends every step to the service (request ids `<service>-<n>`), and returns what was sent and
 * how many decisions and mutations of user 7 (Bob) the viewer should list.
 */
export async function runWorkload(port: number, service: string, progress: (done: number, total: number) => void): Promise<{ sent: Sent; bobRecords: number }> {
  const all = steps();
  const sent: Sent = { requests: 0, decisions: 0, denied: 0, bypassed: 0, mutations: 0, rules: 0, cache: 0 };
  let bobRecords = 0;
  for (const [i, s] of all.entries()) {
    const res = await fetch(`http://127.0.0.1:${port}${s.url}`, {
      method: s.method, body: s.body ? JSON.stringify(s.body) : undefined,
      headers: { 'content-type': 'application/json', 'x-request-id': `${service}-${i}`, ...(s.user ? { 'x-user-id': s.user } : {}) },
    });
    await res.arrayBuffer();
    bobRecords += count(sent, s, res.status);
    progress(i + 1, all.length);
  }
  return { sent, bobRecords };
}
