// The axe-core run every Chromium test shares (the screens, the demo phone, the operator console):
// WCAG 2.0–2.2 A and AA plus best practice, with the region rule on. Each caller loads axe into
// its page in the way that page's Content-Security-Policy allows, then calls `axeViolations`.

/** The page's violations, split into those that fail a test (serious, critical) and notes. */
export async function axeViolations(page) {
  const all = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      rules: { region: { enabled: true } },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const serious = (v) => v.impact === 'serious' || v.impact === 'critical';
  return { bad: all.filter(serious), notes: all.filter((v) => !serious(v)) };
}

/** One violation on one line. */
export const describeViolation = (v) => `${v.impact} ${v.id} (${v.help}) @ ${v.nodes.join(', ')}`;
