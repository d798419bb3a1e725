import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { joinLangs, languageName, splitLangs } from './languages';

/** FILTER_FROM: with this many languages or more the list gets a filter box. */
export const FILTER_FROM = 10;

/**
 * LanguagePicker chooses one or more recognition languages: a button that
 * names the choice ("English, German") and opens a checkbox list of the
 * engine's languages by name. The order of checking is kept, so the first
 * language checked stays the main one ("eng+deu"); the last one cannot be
 * unchecked. Escape, a click outside or Tab past the end closes the list.
 */
export function LanguagePicker({
  languages,
  value,
  onChange,
  disabled,
}: {
  languages: string[];
  /** value is the API form, "eng+deu". */
  value: string;
  onChange(value: string): void;
  disabled?: boolean;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState('');
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const pop = useRef<HTMLDivElement>(null);
  const chosen = splitLangs(value);
  const sorted = useMemo(
    () => languages.map((code) => ({ code, name: languageName(code) })).sort((a, b) => a.name.localeCompare(b.name)),
    [languages],
  );
  const needle = filter.trim().toLowerCase();
  const shown = needle ? sorted.filter((l) => l.name.toLowerCase().includes(needle) || l.code.includes(needle)) : sorted;
  const summary = chosen.length ? chosen.map((c) => languageName(c)).join(', ') : 'Engine default';

  useEffect(() => {
    if (!open) return;
    pop.current?.querySelector<HTMLElement>('input')?.focus();
    const onDown = (e: MouseEvent | TouchEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('touchstart', onDown);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('touchstart', onDown);
    };
  }, [open]);

  const toggle = (code: string, on: boolean) => {
    const next = on ? [...chosen.filter((c) => c !== code), code] : chosen.filter((c) => c !== code);
    if (next.length > 0) onChange(joinLangs(next));
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
      button.current?.focus();
    }
  };

  return (
    <div className="field lang-picker" ref={wrap} onKeyDown={onKey}>
      <span className="lang-picker-label" id={`${id}-label`}>
        Languages
      </span>
      <button
        ref={button}
        type="button"
        className="lang-picker-button"
        aria-labelledby={`${id}-label ${id}-value`}
        aria-expanded={open}
        aria-controls={open ? `${id}-pop` : undefined}
        disabled={disabled || languages.length === 0}
        onClick={() => setOpen((o) => !o)}
      >
        <span id={`${id}-value`} className="lang-picker-value">
          {summary}
        </span>
        <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
          <path d="m6 9 6 6 6-6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      {open && (
        <div
          ref={pop}
          id={`${id}-pop`}
          className="lang-picker-pop"
          onBlur={(e) => {
            // Tab past the last box (or Shift+Tab before the first): close.
            const to = e.relatedTarget as Node | null;
            if (to && !wrap.current?.contains(to)) setOpen(false);
          }}
        >
          {sorted.length >= FILTER_FROM && (
            <input
              type="search"
              className="lang-picker-filter"
              aria-label="Filter languages"
              placeholder="Filter…"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
            />
          )}
          <fieldset className="lang-picker-list">
            <legend className="visually-hidden">Languages</legend>
            {shown.map((l) => {
              const checked = chosen.includes(l.code);
              return (
                <label key={l.code} className="upload-output lang-picker-option">
                  <input
                    type="checkbox"
                    checked={checked}
                    // The last language cannot go: the engine needs one.
                    disabled={checked && chosen.length === 1}
                    onChange={(e) => toggle(l.code, e.target.checked)}
                  />
                  <span>{l.name}</span>
                  {chosen.length > 1 && chosen[0] === l.code && <span className="muted lang-picker-main">main</span>}
                </label>
              );
            })}
            {shown.length === 0 && <p className="muted">No language matches.</p>}
          </fieldset>
          <p className="muted lang-picker-hint">The first language checked is the main one.</p>
        </div>
      )}
    </div>
  );
}
