/**
 * A real browser for the tests of our pages: Debian's Chromium, driven by puppeteer-core (which
 * downloads no browser). `openPage` loads a file and records every console error and uncaught
 * page error, so a test can assert there were none; `close` ends the browser and removes its
 * profile folder, so nothing is left behind in /tmp.
 *
 * The browser is `$CHROMIUM` when set, else the first of Debian's names found on disk. When none
 * is there, `launchBrowser` fails saying how to install one (`.ci/run` installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const debianPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

/** The Chromium executable, or undefined when there is none. */
export function chromiumPath(): string | undefined {
  const chosen = process.env.CHROMIUM;
  if (chosen !== undefined && chosen !== '') return chosen;
  return debianPaths.find((candidate) => existsSync(candidate));
}

export interface TestBrowser {
  /** Opens a local file (or URL) at the given viewport; `errors` collects what the page reported. */
  openPage(file: string, viewport?: { width: number; height: number }): Promise<OpenedPage>;
  close(): Promise<void>;
}

export interface OpenedPage {
  page: Page;
  /** Console messages of type error and uncaught exceptions, in the order they happened. */
  errors: string[];
}

export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) {
    throw new Error('no Chromium found: apt-get install chromium (or set CHROMIUM to its path)');
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'poetry-chromium-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: profile,
      // Root in a container has no user namespace for Chromium's sandbox; the pages are our own.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    async openPage(file, viewport = { width: 1280, height: 900 }) {
      const page = await browser.newPage();
      await page.setViewport(viewport);
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      const url = /^[a-z]+:/.test(file) ? file : pathToFileURL(path.resolve(file)).href;
      await page.goto(url, { waitUntil: 'load' });
      return { page, errors };
    },
    async close() {
      try {
        await browser.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
