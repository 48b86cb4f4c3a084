import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en';
import { ENUM_LISTS, CAMERA_STATUSES, CAPTURE_ADVICES, CAPTURE_STAGES, DOCUMENT_KINDS, ERROR_CODES, PHOTO_QUALITIES, PREFLIGHT_PROBLEMS, REASONS } from '../../src/i18n/enums';
import { CATALOGUES, LANGS, t, type MessageKey } from '../../src/i18n/index.svelte';

const keys = Object.keys(en) as MessageKey[];
const bindings = readFileSync(resolve(__dirname, '../../src/lib/ipc/bindings.ts'), 'utf8');

/** The string values of `export type Name = "a" | "b";` in bindings.ts. */
function unionOf(name: string): string[] {
  const m = new RegExp(`export type ${name} = ([^;]+);`).exec(bindings);
  if (!m) throw new Error(`bindings.ts has no type ${name}`);
  return [...m[1]!.matchAll(/"([^"]+)"/g)].map((x) => x[1]!);
}

describe('message catalogues', () => {
  it('offers English, German, French, Spanish and Polish', () => {
    expect(LANGS).toEqual(['en', 'de', 'fr', 'es', 'pl']);
  });

  for (const lang of LANGS) {
    it(`${lang}: every key present and non-empty, nothing extra`, () => {
      const cat = CATALOGUES[lang] as Record<string, string>;
      const missing = keys.filter((k) => typeof cat[k] !== 'string' || cat[k].trim() === '');
      const extra = Object.keys(cat).filter((k) => !(k in en));
      expect(missing, `${lang} missing or empty`).toEqual([]);
      expect(extra, `${lang} unknown keys`).toEqual([]);
    });

    it(`${lang}: placeholders match English`, () => {
      const cat = CATALOGUES[lang] as Record<string, string>;
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const wrong = keys.filter((k) => JSON.stringify(names(cat[k]!)) !== JSON.stringify(names(en[k])));
      expect(wrong).toEqual([]);
    });
  }

  for (const lang of LANGS.filter((l) => l !== 'en')) {
    it(`${lang}: is a translation, not an English copy`, () => {
      const cat = CATALOGUES[lang] as Record<string, string>;
      // Brand and product names may stay the same in every language.
      const same = keys.filter((k) => cat[k] === en[k] && !/^(Reclaim|Face Check|Selfie|Production|\{?\w*\}?)$/.test(en[k]));
      expect(same.length / keys.length, `identical to English: ${same.join(', ')}`).toBeLessThan(0.02);
    });
  }
});

describe('closed sets from bindings.ts', () => {
  it('the typed lists mirror bindings.ts exactly', () => {
    for (const [name, list] of Object.entries(ENUM_LISTS)) {
      expect([...list].sort(), name).toEqual(unionOf(name).sort());
    }
  });

  const required: Array<[string, readonly string[], (v: string) => string[]]> = [
    ['Reason', REASONS, (v) => [`reason.${v}.title`, `reason.${v}.body`, `reason.${v}.next`]],
    ['ErrorCode', ERROR_CODES, (v) => [`error.${v}`]],
    ['PreflightProblem', PREFLIGHT_PROBLEMS, (v) => [`preflight.${v}`]],
    ['DocumentKind', DOCUMENT_KINDS, (v) => [`document.${v}`]],
    ['PhotoQuality', PHOTO_QUALITIES, (v) => [`photoQuality.${v}`]],
    ['CaptureStage', CAPTURE_STAGES, (v) => [`capture.${v}.title`, `capture.${v}.hint`]],
    ['CaptureAdvice', CAPTURE_ADVICES, (v) => [`capture.advice.${v}`]],
    ['CameraStatus', CAMERA_STATUSES, (v) => [`station.camera.${v}`]],
  ];
  for (const [name, values, keysOf] of required) {
    it(`every ${name} has a message in every language`, () => {
      for (const lang of LANGS) {
        const cat = CATALOGUES[lang] as Record<string, string>;
        for (const v of values) for (const k of keysOf(v)) expect(cat[k]?.trim(), `${lang} ${k}`).toBeTruthy();
      }
    });
  }
});

describe('t', () => {
  it('fills parameters and falls back to the current language', () => {
    expect(t('shell.stepOf', { index: 2, total: 5 })).toBe('Step 2 of 5');
    expect(t('shell.stepOf', { index: 2, total: 5 }, 'de')).toBe('Schritt 2 von 5');
    expect(t('face.attemptsLeft', { n: 1 }, 'pl')).toBe('Pozostałe próby: 1');
  });
});
