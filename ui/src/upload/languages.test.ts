import { describe, expect, it } from 'vitest';
import { joinLangs, languageName, languageNames, splitLangs } from './languages';

describe('languageName', () => {
  it.each([
    ['eng', 'English'],
    ['deu', 'German'],
    ['fra', 'French'],
    ['chi_sim', 'Simplified Chinese'],
    ['chi_tra', 'Traditional Chinese'],
    ['srp_latn', 'Serbian (Latin)'],
    ['jpn_vert', 'Japanese (vertical)'],
    ['deu_latf', 'German (Fraktur)'],
    ['ita_old', 'Italian (historical)'],
    ['frk', 'German (Fraktur)'],
    ['equ', 'Math equations'],
    ['enm', 'Middle English'],
    // Unknown codes and suffixes show the code.
    ['xqz_foo', 'xqz_foo'],
    ['zzz', 'zzz'],
    ['script/Latin', 'script/Latin'],
  ])('%s → %s', (code, name) => expect(languageName(code, 'en')).toBe(name));

  it('names languages in the browser’s language', () => {
    expect(languageName('deu', 'de')).toBe('Deutsch');
    expect(languageName('eng', 'fr')).toBe('anglais');
  });
});

describe('several languages', () => {
  it('reads and writes the API form, keeping the order', () => {
    expect(splitLangs('eng+deu')).toEqual(['eng', 'deu']);
    expect(splitLangs('')).toEqual([]);
    expect(joinLangs(['deu', 'eng'])).toBe('deu+eng');
    expect(languageNames('eng+deu', 'en')).toBe('English, German');
  });
});
