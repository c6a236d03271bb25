/** HTML for the documentation pages: escaping and one page layout, with no external assets. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Tagged template: interpolated values are escaped unless they are `Html` made by this module. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** Text with paragraphs (blank lines) and `code` spans, escaped; what schema descriptions need. */
export function prose(text: string | null | undefined): Html {
  if (!text) return new Html('');
  const paragraphs = text.trim().split(/\n\s*\n/);
  return new Html(
    paragraphs
      .map((p) => `<p>${escapeHtml(p).replace(/`([^`\n]+)`/g, '<code>$1</code>')}</p>`)
      .join(''),
  );
}

export const DOCS_NAV = [
  { path: '/docs', title: 'Overview' },
  { path: '/docs/getting-started', title: 'Getting started' },
  { path: '/docs/schema', title: 'GraphQL schema' },
  { path: '/docs/rest', title: 'REST API' },
] as const;

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#1b1f24;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header a{color:#cfe3ff;text-decoration:none}header a[aria-current]{color:#fff;font-weight:600}
main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem 4rem}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;border-radius:4px}
code{padding:.1em .3em}pre{padding:.8rem;overflow:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb}
h2{border-bottom:1px solid #e5e7eb;padding-bottom:.2rem;margin-top:2.2rem}h3{margin-top:1.6rem}
.kind{color:#6b7280;font-weight:400;font-size:.85em}.deprecated{color:#b45309}.toc{columns:3 14rem}.method{font-weight:700}
`;

export function page(options: { title: string; current: string; body: Html; generatedFor?: string }): string {
  const nav = DOCS_NAV.map((item) =>
    item.path === options.current
      ? html`<a href="${item.path}" aria-current="page">${item.title}</a>`
      : html`<a href="${item.path}">${item.title}</a>`,
  );
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · API documentation</title><style>${new Html(STYLE)}</style></head>
<body><header><strong>API documentation</strong><nav style="display:flex;gap:1rem">${nav}</nav></header>
<main><h1>${options.title}</h1>${options.body}${
    options.generatedFor ? html`<p class="kind">Generated from supergraph ${options.generatedFor}.</p>` : ''
  }</main></body></html>`.value}`;
}
