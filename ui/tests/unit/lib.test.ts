import { describe, expect, it } from 'vitest';
import { formatDuration, secondsUntil } from '../../src/lib/format';
import { toErrorView } from '../../src/lib/ipc/backend';
import { safeQrSvg } from '../../src/lib/qr';
import { QR } from '../../src/mock/fixtures';

describe('safeQrSvg', () => {
  it('accepts the engine QR and strips the XML prolog', () => {
    const out = safeQrSvg(QR.phoneLink.svg);
    expect(out?.startsWith('<svg')).toBe(true);
    expect(out?.endsWith('</svg>')).toBe(true);
  });
  it.each([
    ['not svg', '<div>hi</div>'],
    ['script', '<svg><script>alert(1)</script></svg>'],
    ['handler', '<svg onload="alert(1)"></svg>'],
    ['handler, other case', '<svg><rect ONCLICK = "x"/></svg>'],
    ['foreignObject', '<svg><foreignObject><div/></foreignObject></svg>'],
    ['link', '<svg><a href="https://x">x</a></svg>'],
    ['javascript url', '<svg><image xlink:href="javascript:1"/></svg>'],
    ['text before', 'hello<svg></svg>'],
    ['trailing markup', '<svg></svg><img src=x>'],
  ])('rejects %s', (_, s) => {
    expect(safeQrSvg(s)).toBeNull();
  });
  it('rejects non-strings', () => {
    expect(safeQrSvg(null)).toBeNull();
    expect(safeQrSvg(undefined)).toBeNull();
  });
});

describe('format', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatDuration(-5)).toBe('0:00');
  });
  it('counts seconds until an instant', () => {
    expect(secondsUntil('2030-01-01T00:01:00Z', Date.parse('2030-01-01T00:00:00Z'))).toBe(60);
    expect(secondsUntil('2020-01-01T00:00:00Z', Date.parse('2030-01-01T00:00:00Z'))).toBe(0);
    expect(secondsUntil('nonsense')).toBeNull();
  });
});

describe('toErrorView', () => {
  it('keeps a known code and turns anything else into internal', () => {
    expect(toErrorView({ code: 'notNow', message: 'x' })).toEqual({ code: 'notNow', message: 'x' });
    expect(toErrorView({ code: 'bogus', message: 'x' }).code).toBe('internal');
    expect(toErrorView('command subscribe not found').code).toBe('internal');
  });
});
