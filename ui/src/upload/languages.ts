// Tesseract names its models with ISO 639-2/3 codes and a few suffixes of
// its own ("chi_sim", "deu_latf", "jpn_vert"). People should read
// "English" and "German": the names come from Intl.DisplayNames in the
// browser's language, through this small map to BCP 47 tags.

/** BCP47 maps tesseract's codes to language tags where the tag is not simply the code. */
const BCP47: Record<string, string> = {
  eng: 'en', deu: 'de', fra: 'fr', spa: 'es', ita: 'it', por: 'pt', nld: 'nl', pol: 'pl', ces: 'cs',
  slk: 'sk', swe: 'sv', dan: 'da', nor: 'nb', fin: 'fi', ell: 'el', rus: 'ru', ukr: 'uk', tur: 'tr',
  ara: 'ar', heb: 'he', hin: 'hi', jpn: 'ja', kor: 'ko', vie: 'vi', tha: 'th', hun: 'hu', ron: 'ro',
  bul: 'bg', hrv: 'hr', srp: 'sr', slv: 'sl', est: 'et', lav: 'lv', lit: 'lt', cat: 'ca', eus: 'eu',
  glg: 'gl', isl: 'is', gle: 'ga', cym: 'cy', lat: 'la', ind: 'id', msa: 'ms', fas: 'fa', urd: 'ur',
  ben: 'bn', tam: 'ta', tel: 'te', afr: 'af', sqi: 'sq', bel: 'be', bos: 'bs', mkd: 'mk', kat: 'ka',
  hye: 'hy', aze: 'az', kaz: 'kk', uzb: 'uz', mon: 'mn', nep: 'ne', mar: 'mr', guj: 'gu', pan: 'pa',
  kan: 'kn', mal: 'ml', sin: 'si', khm: 'km', lao: 'lo', mya: 'my', amh: 'am', swa: 'sw', tgl: 'fil',
  chi_sim: 'zh-Hans', chi_tra: 'zh-Hant', aze_cyrl: 'az-Cyrl', srp_latn: 'sr-Latn', uzb_cyrl: 'uz-Cyrl',
};

/** SPECIAL are tesseract models that are not a language, or a script form Intl has no name for. */
const SPECIAL: Record<string, string> = {
  osd: 'Orientation and script detection',
  equ: 'Math equations',
  frk: 'German (Fraktur)',
};

/** VARIANTS are tesseract's suffixes for forms of a language. */
const VARIANTS: Record<string, string> = {
  vert: 'vertical',
  old: 'historical',
  frak: 'Fraktur',
  latf: 'Fraktur',
};

const displayNames = new Map<string, Intl.DisplayNames | null>();

function namesFor(locale: string | undefined): Intl.DisplayNames | null {
  const key = locale ?? '';
  if (!displayNames.has(key)) {
    try {
      displayNames.set(key, new Intl.DisplayNames(locale, { type: 'language', fallback: 'none' }));
    } catch {
      displayNames.set(key, null); // no Intl.DisplayNames: codes it is
    }
  }
  return displayNames.get(key)!;
}

function intlName(tag: string, locale?: string): string | undefined {
  try {
    return namesFor(locale)?.of(tag) || undefined;
  } catch {
    return undefined; // not a valid tag
  }
}

/**
 * languageName is a tesseract language as people say it ("English",
 * "Chinese (Simplified)", "Japanese (vertical)"); an unknown code shows
 * as itself.
 */
export function languageName(code: string, locale?: string): string {
  if (SPECIAL[code]) return SPECIAL[code];
  const direct = BCP47[code] ?? (/^[a-z]{2,3}$/.test(code) ? code : undefined);
  if (direct) return intlName(direct, locale) ?? code;
  const m = /^(.+)_([a-z]+)$/.exec(code);
  if (m && VARIANTS[m[2]]) {
    const base = languageName(m[1], locale);
    return base === m[1] ? code : `${base} (${VARIANTS[m[2]]})`;
  }
  return code;
}

/** languageNames reads a task's "eng+deu" as "English, German". */
export function languageNames(lang: string, locale?: string): string {
  return lang
    .split('+')
    .filter(Boolean)
    .map((c) => languageName(c, locale))
    .join(', ');
}

/** splitLangs reads "eng+deu" as ["eng", "deu"] (order kept: the first is the main language). */
export function splitLangs(lang: string): string[] {
  return lang.split('+').filter(Boolean);
}

/** joinLangs writes the languages as the API takes them ("eng+deu"). */
export function joinLangs(langs: string[]): string {
  return langs.join('+');
}
