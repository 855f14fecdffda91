/**
 * Renders the README's configuration table from SETTINGS (`node --import tsx test/unit/config-doc.ts`
 * prints it). The readme test checks that the README holds exactly this table.
 */
import { SETTINGS } from '../../src/config.js';

export function configTable(): string {
  const rows = ['| variable | aliases | default | meaning |', '|---|---|---|---|'];
  for (const s of Object.values(SETTINGS)) {
    const [name, ...aliases] = s.env;
    const def = s.default === undefined ? '' : name === 'STOA_TEMP_DIR' ? 'OS temp dir' : `\`${s.default}\``;
    rows.push(
      `| \`${name}\` | ${aliases.map((a) => `\`${a}\``).join(' ')} | ${def} | ${s.description.replace(/\|/g, '\\|')} |`,
    );
  }
  return rows.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(configTable() + '\n');
