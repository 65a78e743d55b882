import { html, raw } from 'hono/html';
import { STYLES } from './styles';

// The document shell every public HTML page shares: skip link, one h1 in the masthead, nav with
// the feeds, main, footer (spec §6.1 items 1 and 8, §6.3). The viewport lets users zoom: no
// maximum-scale, unlike Statuspage (WCAG 1.4.4).

type Html = ReturnType<typeof html>;

export interface LayoutInput {
  title: string;
  pageName: string;
  /** Where the masthead links to: the page's own root. */
  homePath: string;
  /** Links to /history.atom and /history.rss; null when the page has feeds off. */
  feeds: { atom: string; rss: string } | null;
  hiddenFromSearch: boolean;
  companyUrl: string | null;
  body: Html;
}

export function renderLayout(input: LayoutInput) {
  // Incident history by month (history.ts), linked as Statuspage does from the footer.
  const historyPath = `${input.homePath.replace(/\/$/, '')}/history`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${input.hiddenFromSearch ? html`<meta name="robots" content="noindex">` : ''}
<title>${input.title}</title>
${
  input.feeds
    ? html`<link rel="alternate" type="application/atom+xml" title="${input.pageName} Status - Incident History" href="${input.feeds.atom}">
<link rel="alternate" type="application/rss+xml" title="${input.pageName} Status - Incident History" href="${input.feeds.rss}">`
    : ''
}
<style>${raw(STYLES)}</style>
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<header class="masthead">
  <div class="wrap">
    <h1><a href="${input.homePath}">${input.pageName}</a></h1>
    <nav aria-label="Page links">
      <ul>
        <li><a href="${historyPath}">Past incidents</a></li>
        ${input.companyUrl ? html`<li><a href="${input.companyUrl}">Visit our site</a></li>` : ''}
        ${
          input.feeds
            ? html`<li><a href="${input.feeds.atom}">Atom feed</a></li><li><a href="${input.feeds.rss}">RSS feed</a></li>`
            : ''
        }
      </ul>
    </nav>
  </div>
</header>
<main id="main-content" tabindex="-1">
  <div class="wrap">
${input.body}
  </div>
</main>
<footer>
  <div class="wrap">
    <span><a href="${historyPath}">← Incident History</a></span>
    <span><a href="${input.homePath}">Current status</a></span>
    <span>Powered by Skypatch</span>
  </div>
</footer>
</body>
</html>`;
}
