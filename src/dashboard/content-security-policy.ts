// The dashboard's Content-Security-Policy: scripts, styles, images and API calls from the dashboard
// itself only. Bull Board's page carries a few fixed inline styles; their hashes are read from the
// installed Bull Board at start, so the policy allows exactly those and nothing injected.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RequestHandler } from 'express';

export interface InlineStyles {
  /** Contents of `<style>` elements: the page's own and the ones Bull Board's React code renders. */
  elements: string[];
  /** Contents of `style="…"` attributes in the page. */
  attributes: string[];
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Pure: the policy for a page whose only inline styles are `inline`. */
export function contentSecurityPolicy(inline: InlineStyles): string {
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src-elem 'self' ${inline.elements.map(sha256).join(' ')}`.trim(),
    // Hashes for attributes count only with 'unsafe-hashes'; it allows these exact attributes, no others.
    `style-src-attr ${inline.attributes.length > 0 ? `'unsafe-hashes' ${inline.attributes.map(sha256).join(' ')}` : "'none'"}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ];
  return directives.join('; ');
}

function bullBoardUiDirectory(): string {
  return join(dirname(require.resolve('@bull-board/ui/package.json')), 'dist');
}

function scriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return scriptFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

/** Reads the inline styles of the installed Bull Board: its page template and the fixed `<style>` its React code renders. */
export function readBullBoardInlineStyles(uiDirectory = bullBoardUiDirectory()): InlineStyles {
  const page = readFileSync(join(uiDirectory, 'index.ejs'), 'utf8');
  const elements = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] ?? '');
  const attributes = [...page.matchAll(/ style="([^"]*)"/g)].map((match) => match[1] ?? '');
  for (const file of scriptFiles(join(uiDirectory, 'static', 'js'))) {
    // jsx("style", {children: `…`}) with a fixed text (no ${…}): an SVG logo's colours.
    for (const match of readFileSync(file, 'utf8').matchAll(/"style",\{children:`([^`$]*)`/g)) elements.push(match[1] ?? '');
  }
  return { elements: [...new Set(elements)], attributes: [...new Set(attributes)] };
}

/**
 * Bull Board's page loads IBM Plex from Google Fonts: that would tell Google who opens the dashboard
 * (and fail on closed networks). The link is dropped; the page falls back to the system's fonts.
 */
const GOOGLE_FONTS_LINK = /<link[^>]*\bhref="https:\/\/fonts\.googleapis\.com\/[^"]*"[^>]*>/g;

/** Express middleware: drops the Google Fonts link from the HTML pages Bull Board renders. */
export const withoutGoogleFonts: RequestHandler = (req, res, next) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return next();
  const send = res.send.bind(res);
  res.send = (body?: unknown) =>
    send(typeof body === 'string' && body.includes('fonts.googleapis.com') ? body.replace(GOOGLE_FONTS_LINK, '') : body);
  next();
};
