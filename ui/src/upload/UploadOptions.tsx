import { useId } from 'react';
import type { Engine, OutputKind } from '../api/types';
import type { PDFOutput, PDFText } from '../api/taskService';
import { LanguagePicker } from './LanguagePicker';
import { choiceFor, engineOutputs, OUTPUT_NAMES, PDF_OUTPUT_NAMES, PDF_TEXT_NAMES, type UploadChoice } from './options';

/**
 * UploadOptions is the engine, languages and outputs form. Every change goes
 * through choiceFor so the choice always fits the chosen engine.
 */
export function UploadOptions({
  engines,
  choice,
  onChange,
}: {
  engines: Engine[];
  choice: UploadChoice;
  onChange: (c: UploadChoice) => void;
}) {
  const id = useId();
  const engine = engines.find((e) => e.name === choice.engine);
  const outputs = engineOutputs(engine);
  const langs = engine?.languages ?? [];
  const change = (p: Partial<UploadChoice>) => {
    const next = choiceFor(engines, { ...choice, ...p });
    if (next) onChange(next);
  };
  const toggle = (k: OutputKind, on: boolean) =>
    change({ outputs: on ? [...choice.outputs, k] : choice.outputs.filter((o) => o !== k) });
  const onlyOne = choice.outputs.length === 1;
  const showHint = onlyOne && outputs.length > 1;

  return (
    <div className="upload-options">
      <div className="field">
        <label htmlFor={`${id}-engine`}>Engine</label>
        <select id={`${id}-engine`} value={choice.engine} onChange={(e) => change({ engine: e.target.value })}>
          {engines.map((e) => (
            <option key={e.name} value={e.name}>
              {e.version ? `${e.name} ${e.version}` : e.name}
            </option>
          ))}
        </select>
      </div>
      <LanguagePicker languages={langs} value={choice.lang} onChange={(lang) => change({ lang })} />
      <fieldset className="upload-outputs" aria-describedby={showHint ? `${id}-outputs-hint` : undefined}>
        <legend>Outputs</legend>
        <div className="upload-output-list">
          {outputs.map((k) => {
            const checked = choice.outputs.includes(k);
            return (
              <label key={k} className="upload-output">
                <input
                  type="checkbox"
                  checked={checked}
                  // The last checked output cannot go: a task needs at least one.
                  disabled={checked && onlyOne}
                  onChange={(e) => toggle(k, e.target.checked)}
                />
                {OUTPUT_NAMES[k]}
              </label>
            );
          })}
        </div>
        {showHint && (
          <small id={`${id}-outputs-hint`} className="muted">
            At least one output is needed.
          </small>
        )}
      </fieldset>
      <label className="upload-output">
        <input type="checkbox" checked={choice.autorotate} onChange={(e) => change({ autorotate: e.target.checked })} />
        Turn pages upright (sideways, upside down or askew)
      </label>
      <div className="field">
        <label htmlFor={`${id}-pdf-text`}>PDFs that already have text</label>
        <select id={`${id}-pdf-text`} value={choice.pdfText} onChange={(e) => change({ pdfText: e.target.value as PDFText })}>
          {(Object.keys(PDF_TEXT_NAMES) as PDFText[]).map((k) => (
            <option key={k} value={k}>
              {PDF_TEXT_NAMES[k]}
            </option>
          ))}
        </select>
      </div>
      {choice.outputs.includes('pdf') && (
        <div className="field">
          <label htmlFor={`${id}-pdf-output`}>Searchable PDF as</label>
          <select
            id={`${id}-pdf-output`}
            value={choice.pdfOutput}
            onChange={(e) => change({ pdfOutput: e.target.value as PDFOutput })}
          >
            {(Object.keys(PDF_OUTPUT_NAMES) as PDFOutput[]).map((k) => (
              <option key={k} value={k}>
                {PDF_OUTPUT_NAMES[k]}
              </option>
            ))}
          </select>
        </div>
      )}
    </div>
  );
}
