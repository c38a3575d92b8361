// A tiny order service. Its only telemetry code is naming the user (setActor) in the auth
// middleware; everything else comes from `node --require @domain-otel/node/register`.
const express = require('express');
const { traceAuthz, traceMutation, traceRule, cacheInvalidated, setActor } = require('@domain-otel/api');

const USERS = { 42: { name: 'Ada', tenant: 'acme', admin: true }, 7: { name: 'Bob', tenant: 'acme', admin: false } };
const orders = new Map();
const cache = new Map();
let nextId = 1;

const app = express();
app.use(express.json());
app.use((req, res, next) => {
  const id = req.header('x-user-id');
  req.user = USERS[id];
  if (req.user) setActor({ id, name: req.user.name, tenant: req.user.tenant });
  next();
});

const can = (req, action, entityId) => traceAuthz({ action, manager: 'orders', entityId }, (ctx) => {
  if (req.user?.admin) return true;
  ctx.reason = req.user ? 'only admins change orders' : 'not signed in';
  return action === 'read' && Boolean(req.user);
});

app.post('/orders', async (req, res) => {
  if (!can(req, 'create')) return res.status(403).json({ error: 'forbidden' });
  const order = await traceMutation({ action: 'create', manager: 'orders', changes: { total: { new: req.body.total }, card_number: { new: req.body.card } } }, async () => {
    const o = { id: nextId++, total: req.body.total, status: 'new' };
    orders.set(o.id, o);
    return o;
  });
  cacheInvalidated({ cache: 'order-lists', reason: 'mutation', keys: ['orders:all', `orders:tenant:${req.user.tenant}`], cause: `orders ${order.id}` });
  cache.clear();
  res.status(201).json(order);
});

app.post('/orders/:id/approve', async (req, res) => {
  const order = orders.get(Number(req.params.id));
  if (!order) return res.status(404).end();
  if (!can(req, 'update', order.id)) return res.status(403).json({ error: 'forbidden' });
  const ok = traceRule({ name: 'order-approval', set: 'orders', input: { total: order.total } }, (ctx) => {
    ctx.conditions = [{ fact: 'total', operator: 'lessThan', value: 1000, factResult: order.total, result: order.total < 1000 }];
    return order.total < 1000;
  });
  if (!ok) return res.status(422).json({ error: 'rule order-approval failed' });
  await traceMutation({ action: 'update', manager: 'orders', entityId: order.id, changes: { status: { old: order.status, new: 'approved' } } }, async () => {
    order.status = 'approved';
  });
  res.json(order);
});

app.delete('/orders/:id', async (req, res) => {
  const id = Number(req.params.id);
  if (!can(req, 'delete', id)) return res.status(403).json({ error: 'forbidden' });
  await traceMutation({ action: 'delete', manager: 'orders', entityId: id }, async () => orders.delete(id));
  res.status(204).end();
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});
