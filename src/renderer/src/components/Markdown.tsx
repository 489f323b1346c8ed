// A readme rendered from Markdown, sanitised with DOMPurify before it reaches the DOM (no scripts, handlers or frames).
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { useMemo } from 'react';

export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false, gfm: true });
  return DOMPurify.sanitize(html, { FORBID_TAGS: ['style', 'form', 'input', 'iframe'], FORBID_ATTR: ['style'] });
}

export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  // Sanitised above; this is the one place the UI sets HTML.
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
