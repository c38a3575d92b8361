// Orders service: Express, CASL permissions, Sequelize on Postgres, json-rules-engine for the
// approval rules, lru-cache for order lists. Its only telemetry code is the one middleware that
// names the user (setActor); spans, audit records and metrics all come from
// `node --require @domain-otel/node/register`.
const express = require('express');
const { AbilityBuilder, createMongoAbility } = require('@casl/ability');
const { Engine } = require('json-rules-engine');
const { LRUCache } = require('lru-cache');
const { Sequelize, DataTypes } = require('sequelize');
const { setActor } = require('@domain-otel/api');

const sequelize = new Sequelize(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/orders', { logging: false });
const Order = sequelize.define('Order', {
  tenant: { type: DataTypes.STRING, allowNull: false },
  customer: { type: DataTypes.STRING, allowNull: false },
  total: { type: DataTypes.INTEGER, allowNull: false },
  status: { type: DataTypes.STRING, allowNull: false, defaultValue: 'new' },
  cardNumber: { type: DataTypes.STRING },
});

const USERS = {
  42: { name: 'Ada', tenant: 'acme', role: 'admin' },
  7: { name: 'Bob', tenant: 'acme', role: 'clerk' },
  9: { name: 'Eve', tenant: 'globex', role: 'clerk' },
};

function abilityFor(user) {
  const { can, cannot, build } = new AbilityBuilder(createMongoAbility);
  if (user?.role === 'admin') can('manage', 'all');
  if (user?.role === 'clerk') {
    can('read', 'Order', { tenant: user.tenant }).because('clerks see their tenant');
    can('create', 'Order');
    can('update', 'Order', { tenant: user.tenant }).because('clerks approve their tenant\'s orders');
    cannot('delete', 'Order').because('only admins delete orders');
  }
  return build();
}

const approval = new Engine([
  { name: 'order-under-limit', conditions: { all: [{ fact: 'total', operator: 'lessThanInclusive', value: 1000 }] }, event: { type: 'approve' } },
  { name: 'order-is-new', conditions: { all: [{ fact: 'status', operator: 'equal', value: 'new' }] }, event: { type: 'approve' } },
]);

const lists = new LRUCache({ max: 100, ttl: 60_000 });

const app = express();
app.use(express.json());
app.use((req, res, next) => {
  req.user = USERS[req.header('x-user-id')];
  req.ability = abilityFor(req.user);
  if (req.user) setActor({ id: req.header('x-user-id'), name: req.user.name, tenant: req.user.tenant });
  next();
});

const tenantOf = (req) => req.user?.tenant ?? 'none';

app.get('/orders', async (req, res) => {
  if (!req.ability.can('read', 'Order')) return res.status(403).json({ error: 'forbidden' });
  const key = `orders:${tenantOf(req)}`;
  let rows = lists.get(key);
  if (!rows) {
    rows = (await Order.findAll({ where: req.user.role === 'admin' ? {} : { tenant: tenantOf(req) }, order: [['id', 'ASC']] })).map((o) => o.toJSON());
    lists.set(key, rows);
  }
  res.json(rows);
});

app.post('/orders', async (req, res) => {
  if (!req.ability.can('create', 'Order')) return res.status(403).json({ error: 'forbidden' });
  const order = await Order.create({ tenant: tenantOf(req), customer: req.body.customer, total: req.body.total, cardNumber: req.body.card });
  lists.delete(`orders:${order.tenant}`);
  res.status(201).json({ id: order.id, status: order.status });
});

app.post('/orders/:id/approve', async (req, res) => {
  const order = await Order.findByPk(req.params.id);
  if (!order) return res.status(404).end();
  if (!req.ability.can('update', order)) return res.status(403).json({ error: 'forbidden' });
  const { failureResults } = await approval.run({ total: order.total, status: order.status });
  if (failureResults.length > 0) return res.status(422).json({ error: 'not approved', rules: failureResults.map((r) => r.name) });
  await order.update({ status: 'approved' });
  lists.delete(`orders:${order.tenant}`);
  res.json({ id: order.id, status: order.status });
});

app.delete('/orders/:id', async (req, res) => {
  const order = await Order.findByPk(req.params.id);
  if (!order) return res.status(404).end();
  if (!req.ability.can('delete', order)) return res.status(403).json({ error: 'forbidden' });
  await order.destroy();
  lists.delete(`orders:${order.tenant}`);
  res.status(204).end();
});

sequelize.sync().then(() => {
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
}, (err) => {
  console.error(`orders-service: cannot reach the database: ${err.message}`);
  process.exit(1);
});
