// Upload options: which engine, language and outputs new uploads use, the
// defaults picked from GET /engines, and the remembered choice.
import type { PDFOutput, PDFText } from '../api/taskService';
import { OUTPUT_KINDS, type Engine, type OutputKind } from '../api/types';

/** UploadChoice is what the options form holds and each upload is sent with. */
export interface UploadChoice {
  engine: string;
  lang: string;
  outputs: OutputKind[];
  /** autorotate turns pages upright (rotation and skew) before recognition. */
  autorotate: boolean;
  /** pdfText: a PDF's own text is used (skip), its OCR layer redone (redo), or every page OCRed (force). */
  pdfText: PDFText;
  /** pdfOutput: the searchable PDF is PDF/A-2B (pdfa) or a plain PDF. */
  pdfOutput: PDFOutput;
}

/** PDF_TEXT_NAMES label the choices for PDFs that already carry text. */
export const PDF_TEXT_NAMES: Record<PDFText, string> = {
  skip: 'Use their text, recognise scanned pages only',
  redo: 'Recognise again pages with an earlier OCR layer',
  force: 'Recognise every page',
};

/** PDF_OUTPUT_NAMES label the searchable PDF's flavours. */
export const PDF_OUTPUT_NAMES: Record<PDFOutput, string> = {
  pdfa: 'PDF/A (for archiving)',
  pdf: 'Plain PDF',
};

/** OUTPUT_NAMES are the checkbox labels of the output kinds (shared with the e2e contract). */
export const OUTPUT_NAMES: Record<OutputKind, string> = {
  txt: 'Text',
  hocr: 'hOCR',
  json: 'JSON',
  pdf: 'Searchable PDF',
};

/** DOWNLOAD_LABELS name a task file in "Download {label}" links (the contract's labels). */
export const DOWNLOAD_LABELS: Record<string, string> = {
  input: 'original',
  txt: 'text',
  hocr: 'hOCR',
  json: 'JSON',
  pdf: 'PDF',
};

/** STORAGE_KEY is where the last choice is remembered in localStorage. */
export const STORAGE_KEY = 'ocrbox.upload.options';

/** loadChoice reads the remembered choice; anything unreadable counts as none. */
export function loadChoice(): Partial<UploadChoice> | undefined {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as unknown;
    if (!v || typeof v !== 'object') return undefined;
    const o = v as Record<string, unknown>;
    return {
      engine: typeof o.engine === 'string' ? o.engine : undefined,
      lang: typeof o.lang === 'string' ? o.lang : undefined,
      outputs: Array.isArray(o.outputs) ? (o.outputs.filter((x) => OUTPUT_KINDS.includes(x as OutputKind)) as OutputKind[]) : undefined,
      autorotate: typeof o.autorotate === 'boolean' ? o.autorotate : undefined,
      pdfText: typeof o.pdfText === 'string' && o.pdfText in PDF_TEXT_NAMES ? (o.pdfText as PDFText) : undefined,
      pdfOutput: typeof o.pdfOutput === 'string' && o.pdfOutput in PDF_OUTPUT_NAMES ? (o.pdfOutput as PDFOutput) : undefined,
    };
  } catch {
    // private mode or a hand-edited value: fall back to the defaults
    return undefined;
  }
}

/** saveChoice remembers the choice for the next visit (best effort). */
export function saveChoice(c: UploadChoice): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(c));
  } catch {
    // storage full or disabled: the choice just is not remembered
  }
}

/** engineOutputs lists the output kinds an engine supports, in the usual order. */
export function engineOutputs(e: Engine | undefined): OutputKind[] {
  if (!e) return [];
  return OUTPUT_KINDS.filter((k) => (e.outputs ?? []).includes(k));
}

/**
 * choiceFor completes a (remembered or partly changed) choice against the
 * engines on offer: unknown engine → "tesseract" or the first one; unknown
 * language → "eng" or the engine's first; outputs → the supported ones kept,
 * or all of them when none would remain.
 */
export function choiceFor(engines: Engine[], want: Partial<UploadChoice> = {}): UploadChoice | undefined {
  if (engines.length === 0) return undefined;
  const engine =
    engines.find((e) => e.name === want.engine) ?? engines.find((e) => e.name === 'tesseract') ?? engines[0];
  const langs = engine.languages ?? [];
  const lang =
    want.lang && (langs.includes(want.lang) || isCombination(want.lang, langs))
      ? want.lang
      : langs.includes('eng')
        ? 'eng'
        : (langs[0] ?? '');
  const supported = engineOutputs(engine);
  const kept = supported.filter((k) => want.outputs?.includes(k));
  return {
    engine: engine.name,
    lang,
    outputs: kept.length > 0 ? kept : supported,
    autorotate: want.autorotate ?? true,
    pdfText: want.pdfText ?? 'skip',
    pdfOutput: want.pdfOutput ?? 'pdfa',
  };
}

/** isCombination: "eng+deu" is valid when every part is one of the languages. */
function isCombination(lang: string, langs: string[]): boolean {
  const parts = lang.split('+');
  return parts.length > 1 && parts.every((p) => langs.includes(p));
}
