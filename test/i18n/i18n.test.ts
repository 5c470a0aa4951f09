import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { catalogues, chooseLocale, translator } from '../../src/i18n/index.ts';

t.test('both catalogues have the same keys and no empty messages', async (t) => {
  const zh = Object.keys(catalogues['zh-CN']).sort();
  const en = Object.keys(catalogues.en).sort();
  t.same(en.filter((key) => !zh.includes(key)), [], 'no English-only keys');
  t.same(zh.filter((key) => !en.includes(key)), [], 'no Chinese-only keys');
  for (const [locale, messages] of Object.entries(catalogues)) {
    for (const [key, value] of Object.entries(messages)) if (value.trim() === '') t.fail(`${locale} ${key} is empty`);
  }
});

t.test('every key a template uses exists', async (t) => {
  const keys = new Set<string>();
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.eta')) for (const match of readFileSync(path, 'utf8').matchAll(/it\.t\('([a-zA-Z.]*[a-zA-Z])'\s*[,)]/g)) keys.add(match[1] as string);
    }
  };
  walk(join(import.meta.dirname, '..', '..', 'views'));
  t.ok(keys.size > 20);
  for (const key of keys) t.ok(key in catalogues['zh-CN'], `${key} is in the catalogue`);
});

t.test('locale choice: cookie, then Accept-Language, then Chinese', async (t) => {
  t.equal(chooseLocale('en', 'zh-CN'), 'en');
  t.equal(chooseLocale(undefined, 'en-GB,en;q=0.9'), 'en');
  t.equal(chooseLocale(undefined, 'fr-FR, en;q=0.5, zh;q=0.8'), 'zh-CN');
  t.equal(chooseLocale('xx', undefined), 'zh-CN');
  t.equal(translator('en')('home.greeting', { name: 'Li' }), 'Hello, Li');
  t.equal(translator('en')('no.such.key'), 'no.such.key');
});

t.test('no catalogue file names a key twice (JSON keeps the last silently: a merge once doubled a whole file)', async (t) => {
  const root = join(import.meta.dirname, '..', '..', 'src', 'i18n');
  for (const locale of readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
    for (const file of readdirSync(join(root, locale.name)).filter((name) => name.endsWith('.json'))) {
      const keys = [...readFileSync(join(root, locale.name, file), 'utf8').matchAll(/^\s*"((?:[^"\\]|\\.)+)"\s*:/gm)].map((match) => match[1]);
      const twice = keys.filter((key, index) => keys.indexOf(key) !== index);
      t.same(twice, [], `${locale.name}/${file}`);
    }
  }
});
