// Renders the home-screen icons of the web app manifest from static/favicon.svg with the system
// Chromium (playwright-core), once: the PNGs are committed. Run: node scripts/make-icons.mjs
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const svg = readFileSync(new URL('../static/favicon.svg', import.meta.url), 'utf8');
const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  for (const size of [192, 512]) {
    for (const maskable of [false, true]) {
      const page = await browser.newPage({ viewport: { width: size, height: size } });
      // A maskable icon fills its square with the theme colour and keeps the mark inside the 80 % safe circle.
      const inner = maskable ? Math.round(size * 0.62) : size;
      await page.setContent(`<body style="margin:0;width:${size}px;height:${size}px;display:grid;place-items:center;background:${maskable ? '#0d5c53' : 'transparent'}">`
        + `<img src="${dataUrl}" width="${inner}" height="${inner}"></body>`);
      await page.locator('img').evaluate((image) => image.decode());
      const name = `icon-${size}${maskable ? '-maskable' : ''}.png`;
      await page.screenshot({ path: new URL(`../static/${name}`, import.meta.url).pathname, omitBackground: !maskable });
      await page.close();
      console.log(`static/${name}`);
    }
  }
} finally {
  await browser.close();
}
