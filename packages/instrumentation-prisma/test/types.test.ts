// `prisma.$extends(domainOtelExtension())` keeps the generated client's exact types: the
// extension adds nothing to them (checked with tsc against a client generated at test time).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED, ROOT, generateClient } from './helpers';

const SOURCE = `
import { PrismaClient } from './client/client';
import { domainOtelExtension } from '../../../src';
declare const adapter: any;
const prisma = new PrismaClient({ adapter }).$extends(domainOtelExtension({ beforeImage: true }));
export async function check(): Promise<void> {
  const order = await prisma.order.create({ data: { status: 'x' }, select: { id: true, status: true } });
  const id: number = order.id;
  const status: string = order.status;
  // @ts-expect-error a field the model does not have
  await prisma.order.create({ data: { nope: 1 } });
  // @ts-expect-error not selected
  void (await prisma.order.create({ data: { status: 'x' }, select: { id: true } })).status;
  await prisma.$transaction(async (tx) => {
    await tx.order.update({ where: { id }, data: { status } });
  });
}
`;

describe('prisma extension types', function () {
  this.timeout(300000);

  it('the extended client keeps the generated types (tsc, strict)', () => {
    const dir = path.join(GENERATED, 'types');
    generateClient(dir);
    const file = path.join(dir, 'check.ts');
    writeFileSync(file, SOURCE);
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023',
        '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      output = String((err as { stdout?: Buffer }).stdout ?? err);
    }
    assert.equal(output, '');
  });
});
