// The app specs' views: each state at 1280×800 and 900×700, in the light and the dark theme, each saved as a screenshot
// (e2e/screenshots/app-<name>-<width>[-dark].png, which docs/USER-GUIDE.md embeds) and checked by axe in both themes.
import type { Page } from '@playwright/test';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expectAccessible } from './pages';
import { SCREENSHOTS } from './server';

// Page functions run in the browser; this file is type-checked without the DOM library, so declare what they use.
interface Box {
  left: number;
  right: number;
  width: number;
  height: number;
}
declare const requestAnimationFrame: (callback: (time: number) => void) => number;
declare const document: {
  documentElement: { clientWidth: number; scrollWidth: number };
  querySelectorAll(
    selector: string,
  ): Iterable<{ getBoundingClientRect(): Box; closest(selector: string): unknown; textContent: string | null }>;
};

export const WIDTHS = [
  { width: 1280, height: 800 },
  { width: 900, height: 700 },
] as const;

/** The user guide's pictures (docs/USER-GUIDE.md): one per state, kept in git, so the guide shows the current screens. */
export const GUIDE_SCREENSHOTS = join(SCREENSHOTS, '..', '..', 'docs', 'screenshots');

/**
 * Screenshots and axe for the page as it stands, at both sizes and in both themes; leaves the page at 1280 px, light. The
 * picture at `guide` (1280 px light unless said otherwise) is also written to docs/screenshots/<name>.png.
 */
export async function views(
  page: Page,
  name: string,
  options: { fullPage?: boolean; guide?: { width: 1280 | 900; dark: boolean } } = {},
): Promise<void> {
  const guide = options.guide ?? { width: 1280, dark: false };
  mkdirSync(GUIDE_SCREENSHOTS, { recursive: true });
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      // Let layout and the charts settle at the new size before the picture (a frame, not a timed wait).
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const path = join(SCREENSHOTS, `app-${name}-${size.width}${scheme === 'dark' ? '-dark' : ''}.png`);
      await page.screenshot({ path, fullPage: options.fullPage ?? true });
      if (size.width === guide.width && (scheme === 'dark') === guide.dark) copyFileSync(path, join(GUIDE_SCREENSHOTS, `${name}.png`));
      await expectAccessible(page, `${name} at ${size.width} px, ${scheme}`);
    }
  }
  await page.setViewportSize(WIDTHS[0]);
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Nothing is cut off sideways: the page does not scroll horizontally and every visible button lies inside the window. */
export async function expectNoSidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1)
      problems.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
    for (const b of document.querySelectorAll('button, a.button')) {
      const r = b.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      // Inside a horizontally scrolling table a button may sit beyond the edge on purpose.
      if (b.closest('.table-scroll')) continue;
      if (r.right > width + 1 || r.left < -1)
        problems.push(`button "${(b.textContent ?? '').trim()}" is cut off (${Math.round(r.left)}–${Math.round(r.right)} px)`);
    }
    return problems;
  });
}
