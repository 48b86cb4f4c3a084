// The message catalogues and a tiny typed `t`. The current language is reactive state: any
// template that calls `t` re-renders when it changes.
import type { Catalogue, MessageKey } from './catalogue';
import { de } from './de';
import { en } from './en';
import { es } from './es';
import { fr } from './fr';
import { pl } from './pl';

export type { Catalogue, MessageKey } from './catalogue';

export const CATALOGUES = { en, de, fr, es, pl } satisfies Record<string, Catalogue>;
export type Lang = keyof typeof CATALOGUES;
export const LANGS = Object.keys(CATALOGUES) as Lang[];
export const DEFAULT_LANG: Lang = 'en';

export const locale = $state<{ lang: Lang }>({ lang: DEFAULT_LANG });

export function setLang(lang: Lang): void {
  locale.lang = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

export type Params = Record<string, string | number>;

/** The message for `key` in `lang` (default: the current language), `{name}` filled from params. */
export function t(key: MessageKey, params?: Params, lang: Lang = locale.lang): string {
  const text: string = CATALOGUES[lang][key] ?? en[key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}
