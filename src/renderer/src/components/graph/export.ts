// Export of what is on screen as SVG (vector, from the drawing's own coordinates) and PNG (that SVG rasterised).
import type { Drawing } from './model';
import type { NodeLook } from './SigmaGraph';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function toSvg(
  drawing: Drawing,
  look: (id: string) => NodeLook,
  colours: { background: string; edge: string; text: string },
  title: string,
): string {
  const xs = drawing.nodes.map((n) => n.x);
  const ys = drawing.nodes.map((n) => -n.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // Scale the drawing's units so a node is about 6 px apart from its neighbours at 1:1.
  const k = 24;
  const pad = 40;
  const width = Math.round((maxX - minX) * k + pad * 2 + 200);
  const height = Math.round((maxY - minY) * k + pad * 2);
  const pos = new Map(drawing.nodes.map((n) => [n.id, [(n.x - minX) * k + pad, (-n.y - minY) * k + pad] as const]));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="10">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="${colours.background}"/>`,
    `<g stroke="${colours.edge}" stroke-width="0.6">`,
  ];
  // As on screen: a big overview is its columns, without the thousands of crossing edges.
  for (const [a, b] of drawing.nodes.length > 300 ? [] : drawing.edges) {
    const p = pos.get(a);
    const q = pos.get(b);
    if (p && q) out.push(`<line x1="${p[0].toFixed(1)}" y1="${p[1].toFixed(1)}" x2="${q[0].toFixed(1)}" y2="${q[1].toFixed(1)}"/>`);
  }
  out.push('</g><g>');
  for (const n of drawing.nodes) {
    const [x, y] = pos.get(n.id)!;
    const l = look(n.id);
    out.push(
      `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${Math.max(2, l.size / 1.5).toFixed(1)}" fill="${l.colour}"><title>${esc(l.label)}</title></circle>`,
    );
    if (drawing.nodes.length <= 300)
      out.push(`<text x="${(x + 5).toFixed(1)}" y="${(y + 3).toFixed(1)}" fill="${colours.text}">${esc(l.label)}</text>`);
  }
  out.push('</g></svg>');
  return out.join('\n');
}

export async function svgToPng(svg: string): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    // Browsers refuse canvases past ~16k px a side: shrink a very large drawing to fit.
    const scale = Math.min(1, 8000 / Math.max(image.width, image.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(image.width * scale);
    canvas.height = Math.round(image.height * scale);
    canvas.getContext('2d')!.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be made'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

export function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
