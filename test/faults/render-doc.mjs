// Prints the summary table of docs/reliability.json as Markdown (pasted into docs/reliability.md).
import { readFileSync } from 'node:fs';
const doc = JSON.parse(readFileSync(new URL('../../docs/reliability.json', import.meta.url), 'utf8'));
console.log(`Run of ${doc.generatedAt}, Node ${doc.node}, ${doc.cpus} CPUs (shared).\n`);
console.log('| scenario | events sent | acknowledged | stored | lost | duplicated | result |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const r of doc.results) console.log(`| ${r.scenario} | ${r.sent} | ${r.acknowledged ?? '–'} | ${r.stored} | ${r.lost} | ${r.duplicated} | ${r.result} |`);
console.log('\nNotes per scenario:\n');
for (const r of doc.results) if (r.notes) console.log(`- **${r.scenario}**: ${r.notes}`);
