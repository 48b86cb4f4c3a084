// The backend's QR codes arrive as SVG markup, inserted into the page as markup. Accept only
// what the backend's renderer produces: an SVG document with no script, no event handlers, no
// links and no embedded HTML. Anything else renders as nothing.

const FORBIDDEN = [/<script/i, /\son[a-z]+\s*=/i, /javascript:/i, /<foreignobject/i, /href\s*=/i, /<iframe/i, /<!entity/i];

/** The SVG element markup without the XML prolog, or null when the string is not a safe SVG. */
export function safeQrSvg(svg: string | null | undefined): string | null {
  if (typeof svg !== 'string') return null;
  const s = svg.trim();
  if (!(s.startsWith('<?xml') || s.startsWith('<svg'))) return null;
  if (FORBIDDEN.some((re) => re.test(s))) return null;
  const start = s.indexOf('<svg');
  if (start < 0 || !s.endsWith('</svg>')) return null;
  // Only whitespace or the XML declaration may precede the element.
  const prolog = s.slice(0, start);
  if (prolog && !/^<\?xml[^>]*\?>\s*$/.test(prolog)) return null;
  return s.slice(start);
}
