import { useCallback, useEffect, useEffectEvent, useMemo, useRef, useState, type PointerEvent, type ReactNode } from 'react';
import { useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { taskService } from '../api/taskService';
import { useFetch } from '../api/useFetch';
import { isRunning, type Task } from '../api/types';
import { ErrorBanner } from '../components/ErrorBanner';
import { Modal } from '../components/Modal';
import { Spinner } from '../components/Spinner';
import { StatusBadge } from '../components/StatusBadge';
import { DownloadLink, FILE_ORDER } from '../history/TaskDetails';
import { eventClock, useTaskStore } from '../stores/taskStore';
import { copyText } from './copy';
import { DEFAULT_DOUBT, doubtfulWords, flattenHits, HIGH_CONFIDENCE, nextRef, pageText, taskText, type Hit, type WordRef } from './model';
import { PageView, type Fit, type ViewMode } from './PageView';
import { TextView } from './TextView';
import { Thumbnails } from './Thumbnails';
import { loadMatches, loadResult, resultFile } from './viewerService';
import './viewer.css';

/** MODES are the page pane's three ways of showing a page, in the order of their buttons. */
const MODES: { mode: ViewMode; label: string }[] = [
  { mode: 'image', label: 'Image' },
  { mode: 'layer', label: 'Text over image' },
  { mode: 'text', label: 'Text only' },
];

/** COPIED_MS is how long the "Copied" confirmation stays. */
export const COPIED_MS = 3000;
/** SWIPE_PX is how far a finger must travel sideways to change page. */
export const SWIPE_PX = 50;

/** parseMode reads ?view=; text over image is the default, like a searchable PDF. */
export function parseMode(v: string | null): ViewMode {
  return v === 'image' || v === 'text' ? v : 'layer';
}

/** parsePage reads ?page= as a whole number ≥ 1, else undefined. */
function parsePage(v: string | null): number | undefined {
  if (!v || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 ? n : undefined;
}

/** isTyping: keys pressed here belong to the control (text fields, selects, radio groups). */
function isTyping(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return true;
  return t instanceof HTMLInputElement && t.type !== 'checkbox' && t.type !== 'button';
}

/** ViewerState is what the history passes along: where Escape and Back return to. */
interface ViewerState {
  from?: string;
}

/**
 * TaskViewer is the result viewer (/tasks/:id?page=&view=&q=): page
 * thumbnails, the page large with its words over it, text-only mode,
 * confidence shading, search hits, copy and downloads. Loaded lazily: its
 * code is not part of the first screen.
 */
export default function TaskViewer() {
  const { id = '' } = useParams();
  const { data: fetched, error, reload } = useFetch(id, async (signal) => {
    const since = eventClock();
    const t = await taskService.get(id, signal);
    // A running task joins the store, which the event stream keeps current.
    const s = useTaskStore.getState();
    if (isRunning(t.status) || s.byId[t.id]) s.upsert(t, { since });
    return t;
  });
  const live = useTaskStore((s) => s.byId[id]);
  const task = fetched ? (live ?? fetched) : undefined;
  const close = useClose(id);

  if (task) return <ViewerBody key={task.id} task={task} close={close} />;
  const missing = error instanceof ApiError && (error.status === 403 || error.status === 404);
  return (
    <main className="page viewer-page">
      {error !== undefined ? (
        <>
          <h1>Result viewer</h1>
          {missing ? (
            <p className="banner banner-warn" role="alert">
              This task does not exist or is not yours.
            </p>
          ) : (
            <ErrorBanner title="Could not load the task." error={error} onRetry={reload} />
          )}
          <p>
            <button type="button" className="btn" onClick={close}>
              Back
            </button>
          </p>
        </>
      ) : (
        <div className="center-page">
          <Spinner label="Loading the result…" />
        </div>
      )}
    </main>
  );
}

/** useClose returns to where the viewer was opened from, or to the task in the history. */
function useClose(id: string): () => void {
  const navigate = useNavigate();
  const loc = useLocation();
  const from = (loc.state as ViewerState | null)?.from;
  return useCallback(() => {
    // Page changes replace the entry, so the one before is where we came from.
    if (from) navigate(-1);
    else navigate(`/history?task=${encodeURIComponent(id)}`);
  }, [from, id, navigate]);
}

/** ViewerBody is the viewer once the task is known. */
function ViewerBody({ task, close }: { task: Task; close(): void }) {
  const [params, setParams] = useSearchParams();
  const loc = useLocation();
  const mode = parseMode(params.get('view'));
  const q = params.get('q')?.trim() ?? '';
  const explicitPage = parsePage(params.get('page'));

  const file = resultFile(task);
  const result = useFetch(file ? `${task.id}/${file.id}` : null, (signal) => loadResult(task, signal));
  const pages = file ? result.data : undefined;
  const count = Math.max(task.pages_total, pages?.length ?? 0);
  const n = Math.min(Math.max(1, explicitPage ?? 1), Math.max(1, count));
  const page = pages?.[n - 1];

  // Page changes replace the history entry: Back and Escape leave the viewer.
  const setParam = useCallback(
    (changes: Record<string, string | undefined>) => {
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(changes)) {
            if (v === undefined) p.delete(k);
            else p.set(k, v);
          }
          return p;
        },
        { replace: true, state: loc.state },
      );
    },
    [setParams, loc.state],
  );
  const goTo = useCallback((to: number) => setParam({ page: String(to) }), [setParam]);
  /** showWord goes to a page to point at a word there: on the image, so out of text-only mode. */
  const showWord = (to: number) => setParam(mode === 'text' ? { page: String(to), view: undefined } : { page: String(to) });
  const setMode = (m: ViewMode) => setParam({ view: m === 'layer' ? undefined : m });

  const [shade, setShade] = useState(false);
  const [fit, setFit] = useState<Fit>('width');
  const [doubtAt, setDoubtAt] = useState<WordRef>();
  const [hit, setHit] = useState<number>();
  const [announce, setAnnounce] = useState('');

  // Search: where the history's words are, landing on the first hit when
  // the link named no page.
  const matches = useFetch(q && file ? `${task.id}\u0000${q}\u0000${file.id}` : null, async (signal) => {
    const m = await loadMatches(task.id, q, signal);
    const first = flattenHits(m)[0];
    if (first) {
      setHit(0);
      if (explicitPage === undefined) goTo(first.page);
    }
    return m;
  });
  const hits = useMemo(() => flattenHits(q ? matches.data : undefined), [q, matches.data]);
  const hitsPerPage = useMemo(() => {
    const m = new Map<number, number>();
    for (const h of hits) m.set(h.page, (m.get(h.page) ?? 0) + 1);
    return m;
  }, [hits]);
  const foundWords = useMemo(() => {
    const m = new Map<number, Set<string>>();
    for (const h of hits) {
      const s = m.get(h.page) ?? new Set<string>();
      s.add(h.box.word.toLowerCase());
      m.set(h.page, s);
    }
    return m;
  }, [hits]);
  const pageHits = useMemo(() => hits.filter((h) => h.page === n), [hits, n]);
  const current = hit !== undefined ? hits[hit] : undefined;
  const activeHit = current && current.page === n ? current.index : undefined;

  const stepHit = (dir: 1 | -1) => {
    const next = nextRef<Hit>(hits, current, n, dir);
    if (!next) return;
    const i = hits.indexOf(next);
    setHit(i);
    setDoubtAt(undefined);
    showWord(next.page);
    setAnnounce(`Hit ${i + 1} of ${hits.length}: “${next.box.word}” on page ${next.page}.`);
  };

  const doubt = task.review?.threshold ?? DEFAULT_DOUBT;
  const doubtful = useMemo(() => (pages ? doubtfulWords(pages, doubt) : []), [pages, doubt]);
  const nextDoubt = () => {
    const next = nextRef(doubtful, doubtAt, n);
    if (!next || !pages) return;
    setDoubtAt(next);
    setHit(undefined);
    showWord(next.page);
    const w = pages[next.page - 1].words[next.index];
    const i = doubtful.findIndex((r) => r.page === next.page && r.index === next.index);
    setAnnounce(`Doubtful word ${i + 1} of ${doubtful.length}: “${w.text}” on page ${next.page}, ${Math.round(w.confidence)} % sure.`);
  };
  const activeWord = doubtAt && doubtAt.page === n ? doubtAt.index : undefined;

  const step = useCallback(
    (dir: 1 | -1) => {
      const to = n + dir;
      if (to < 1 || to > count) return;
      goTo(to);
    },
    [n, count, goTo],
  );

  // Copy: the page or the whole task, confirmed for a few seconds; where the
  // browser refuses, the text is shown selected for Ctrl+C.
  const [copied, setCopied] = useState('');
  const [manual, setManual] = useState<string>();
  const copiedTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(copiedTimer.current), []);
  const copy = async (text: string, what: string) => {
    const res = await copyText(text);
    if (res === 'manual') {
      setManual(text);
      return;
    }
    setCopied(`Copied ${what}.`);
    clearTimeout(copiedTimer.current);
    copiedTimer.current = setTimeout(() => setCopied(''), COPIED_MS);
  };

  // Keys: arrows and PageUp/PageDown between pages, Escape back out.
  const downloads = useRef<HTMLDetailsElement>(null);
  const onKey = useEffectEvent((e: KeyboardEvent) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || manual !== undefined) return;
    if (e.key === 'Escape') {
      if (downloads.current?.open) {
        downloads.current.open = false;
        downloads.current.querySelector('summary')?.focus();
      } else {
        close();
      }
      e.preventDefault();
      return;
    }
    if (isTyping(e.target)) return;
    if (e.key === 'ArrowLeft' || e.key === 'PageUp') {
      e.preventDefault();
      step(-1);
    } else if (e.key === 'ArrowRight' || e.key === 'PageDown') {
      e.preventDefault();
      step(1);
    }
  });
  useEffect(() => {
    const h = (e: KeyboardEvent) => onKey(e);
    document.addEventListener('keydown', h);
    return () => document.removeEventListener('keydown', h);
  }, []);

  // Swipe on a touch screen; a mouse drag selects text instead.
  const swipe = useRef<{ x: number; y: number; id: number }>(undefined);
  const onPointerDown = (e: PointerEvent) => {
    if (e.pointerType === 'mouse') return;
    swipe.current = { x: e.clientX, y: e.clientY, id: e.pointerId };
  };
  const onPointerUp = (e: PointerEvent) => {
    const s = swipe.current;
    swipe.current = undefined;
    if (!s || s.id !== e.pointerId) return;
    const dx = e.clientX - s.x;
    const dy = e.clientY - s.y;
    if (Math.abs(dx) >= SWIPE_PX && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  };

  // The heading takes focus on open, so keyboard and screen reader users start here.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  useEffect(() => {
    document.title = `${task.filename} · ocrbox`;
  }, [task.filename]);

  const reviewPages = useMemo(() => new Set(task.review?.pages.map((p) => p.page) ?? []), [task.review]);
  const files = [...task.files].sort((a, b) => FILE_ORDER.indexOf(a.kind) - FILE_ORDER.indexOf(b.kind));
  const boxes = !!page && page.width > 0;
  const from = (loc.state as ViewerState | null)?.from;

  return (
    <main className="viewer" id="main" aria-labelledby="viewer-title">
      <div className="viewer-head">
        <button type="button" className="btn btn-small" onClick={close} aria-keyshortcuts="Escape">
          <span aria-hidden="true">←</span> {from?.startsWith('/history') || !from ? 'Back to history' : 'Back'}
        </button>
        <h1 id="viewer-title" ref={heading} tabIndex={-1}>
          {task.filename}
        </h1>
        <StatusBadge status={task.status} review={task.review} />
      </div>

      <StatusBanners task={task} goTo={goTo} />

      {/* Hits come from the recognised pages: none to show before the result exists. */}
      {q && file && (
        <SearchBar
          q={q}
          hits={hits}
          hit={hit}
          loading={matches.loading}
          error={matches.error}
          truncated={!!matches.data?.truncated}
          onRetry={matches.reload}
          onStep={stepHit}
          onClear={() => {
            setHit(undefined);
            setParam({ q: undefined });
          }}
        />
      )}

      <div className="viewer-toolbar">
        <div role="group" aria-label="Show" className="viewer-modes">
          {MODES.map((m) => (
            <button key={m.mode} type="button" className="btn btn-small" aria-pressed={mode === m.mode} onClick={() => setMode(m.mode)}>
              {m.label}
            </button>
          ))}
        </div>
        {mode !== 'text' && (
          <div role="group" aria-label="Size" className="viewer-modes">
            <button type="button" className="btn btn-small" aria-pressed={fit === 'width'} onClick={() => setFit('width')}>
              Fit width
            </button>
            <button type="button" className="btn btn-small" aria-pressed={fit === 'page'} onClick={() => setFit('page')}>
              Whole page
            </button>
          </div>
        )}
        <label className="viewer-check">
          <input type="checkbox" checked={shade} onChange={(e) => setShade(e.target.checked)} disabled={!pages} /> Shade by confidence
        </label>
        <button type="button" className="btn btn-small" onClick={nextDoubt} disabled={doubtful.length === 0}>
          Next doubtful word{pages ? ` (${doubtful.length})` : ''}
        </button>
        <button type="button" className="btn btn-small" disabled={!pages} onClick={() => void copy(pageText(page), `the text of page ${n}`)}>
          Copy page text
        </button>
        <button type="button" className="btn btn-small" disabled={!pages} onClick={() => void copy(taskText(pages ?? []), 'the text of all pages')}>
          Copy all text
        </button>
        <details className="viewer-downloads" ref={downloads}>
          <summary className="btn btn-small">Downloads</summary>
          <ul className="details-download-list">
            {files.map((f) => (
              <DownloadLink key={f.id} taskId={task.id} file={f} />
            ))}
          </ul>
        </details>
      </div>
      {shade && <Legend doubt={doubt} />}
      <p role="status" className="viewer-copied">
        {copied}
      </p>

      <div className="viewer-body">
        <nav aria-label="Pages" className="viewer-nav">
          {count > 0 ? (
            <Thumbnails taskId={task.id} count={count} current={n} pages={pages} review={reviewPages} hits={hitsPerPage} onSelect={goTo} />
          ) : (
            <p className="muted">No pages yet.</p>
          )}
        </nav>
        <section className="viewer-pane" aria-labelledby="viewer-page-title" onPointerDown={onPointerDown} onPointerUp={onPointerUp}>
          <div className="viewer-pane-head">
            <button type="button" className="btn btn-small" onClick={() => step(-1)} disabled={n <= 1} aria-keyshortcuts="ArrowLeft PageUp">
              <span aria-hidden="true">‹</span> Previous page
            </button>
            <h2 id="viewer-page-title" aria-live="polite">
              Page {n} of {Math.max(count, 1)}
            </h2>
            <button type="button" className="btn btn-small" onClick={() => step(1)} disabled={n >= count} aria-keyshortcuts="ArrowRight PageDown">
              Next page <span aria-hidden="true">›</span>
            </button>
          </div>
          <PaneNotes task={task} loading={result.loading} error={result.error} onRetry={result.reload} hasBoxes={boxes} mode={mode} hasResult={!!pages} />
          {mode === 'text' ? (
            pages ? (
              <TextView pages={pages} current={n} found={foundWords} onVisible={goTo} />
            ) : null
          ) : count > 0 && task.status !== 'pending' ? (
            <PageView
              taskId={task.id}
              n={n}
              filename={task.filename}
              page={page}
              layer={mode === 'layer'}
              shade={shade}
              doubt={doubt}
              activeWord={activeWord}
              hits={pageHits}
              activeHit={activeHit}
              fit={fit}
            />
          ) : null}
        </section>
      </div>
      <p role="status" className="visually-hidden">
        {announce}
      </p>
      {manual !== undefined && <ManualCopy text={manual} onClose={() => setManual(undefined)} />}
    </main>
  );
}

/** StatusBanners explain a result to check, a task still running, or one that failed. */
function StatusBanners({ task, goTo }: { task: Task; goTo(n: number): void }) {
  const r = task.review;
  return (
    <>
      {r && (
        <div className="banner banner-warn viewer-review" role="note" aria-label="Check result">
          <div>
            <strong>Check this result: </strong>
            {r.reason}
            {r.pages.length > 0 && (
              <div className="viewer-review-pages">
                <span>Pages to check:</span>
                {r.pages.slice(0, 30).map((p) => (
                  <button key={p.page} type="button" className="btn btn-small" onClick={() => goTo(p.page)}>
                    Page {p.page} ({Math.round(p.mean_confidence)} %)
                  </button>
                ))}
                {r.pages.length > 30 && <span className="muted">and {r.pages.length - 30} more (marked in the page list)</span>}
              </div>
            )}
          </div>
        </div>
      )}
      {isRunning(task.status) && (
        <p className="banner banner-info" role="status">
          {task.status === 'pending'
            ? 'This task is waiting to start. The pages appear here when recognition begins.'
            : `Recognition is running: ${task.pages_done} of ${task.pages_total || '?'} pages. The text appears when it finishes.`}
        </p>
      )}
      {task.status === 'failed' && (
        <p className="banner banner-error" role="alert">
          <span>
            <strong>Recognition failed: </strong>
            {task.error || 'no reason given.'}
          </span>
        </p>
      )}
    </>
  );
}

/** PaneNotes say why the pane shows less than it could: loading, an error, or no word boxes. */
function PaneNotes(props: {
  task: Task;
  loading: boolean;
  error: unknown;
  onRetry(): void;
  hasBoxes: boolean;
  mode: ViewMode;
  hasResult: boolean;
}) {
  if (props.loading) return <Spinner label="Loading the text…" />;
  if (props.error !== undefined) return <ErrorBanner title="Could not load the recognised text." error={props.error} onRetry={props.onRetry} />;
  if (!props.hasResult) {
    if (props.task.status === 'completed') return <p className="muted">This task has no text output to show.</p>;
    return null;
  }
  if (props.mode === 'layer' && !props.hasBoxes) {
    return <p className="muted">This task was made without the JSON output, so its words cannot be placed on the image: see “Text only”.</p>;
  }
  return null;
}

/** SearchBar says how many hits the history search has here and steps through them. */
function SearchBar(props: {
  q: string;
  hits: Hit[];
  hit?: number;
  loading: boolean;
  error: unknown;
  truncated: boolean;
  onRetry(): void;
  onStep(dir: 1 | -1): void;
  onClear(): void;
}) {
  const { q, hits, hit } = props;
  let body: ReactNode;
  if (props.loading) body = <Spinner label={`Finding “${q}”…`} />;
  else if (props.error instanceof ApiError && props.error.status === 422) body = <span>{props.error.message}</span>;
  else if (props.error !== undefined) {
    body = (
      <>
        <span>Could not find the search hits.</span>
        <button type="button" className="btn btn-small" onClick={props.onRetry}>
          Retry
        </button>
      </>
    );
  } else if (hits.length === 0) body = <span>No words of “{q}” on the pages (the search may have matched the file name).</span>;
  else {
    body = (
      <>
        <span>
          {hit !== undefined ? `Hit ${hit + 1} of ${hits.length}` : `${hits.length} hits`} for “{q}”
          {props.truncated ? ' (only the first ones are shown)' : ''}
        </span>
        <button type="button" className="btn btn-small" onClick={() => props.onStep(-1)}>
          Previous hit
        </button>
        <button type="button" className="btn btn-small" onClick={() => props.onStep(1)}>
          Next hit
        </button>
      </>
    );
  }
  return (
    <section className="viewer-search" aria-label="Search hits">
      {body}
      <span className="spacer" />
      <button type="button" className="btn btn-small" onClick={props.onClear}>
        Clear search
      </button>
    </section>
  );
}

/** Legend names the confidence bands the shading uses. */
function Legend({ doubt }: { doubt: number }) {
  return (
    <div className="viewer-legend" aria-label="Confidence shading">
      <span>
        <span className="viewer-swatch viewer-band-high" aria-hidden="true" /> Sure ({HIGH_CONFIDENCE} % or more)
      </span>
      <span>
        <span className="viewer-swatch viewer-band-medium" aria-hidden="true" /> Fairly sure ({doubt}–{HIGH_CONFIDENCE - 1} %)
      </span>
      <span>
        <span className="viewer-swatch viewer-band-low" aria-hidden="true" /> Doubtful (below {doubt} %)
      </span>
    </div>
  );
}

/** ManualCopy shows the text selected when the browser would not copy it. */
function ManualCopy({ text, onClose }: { text: string; onClose(): void }) {
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    // After the dialog has placed focus on its first control.
    const t = setTimeout(() => {
      area.current?.focus();
      area.current?.select();
    }, 0);
    return () => clearTimeout(t);
  }, []);
  return (
    <Modal
      title="Copy the text"
      onClose={onClose}
      footer={
        <button type="button" className="btn" onClick={onClose}>
          Done
        </button>
      }
    >
      <p>This browser did not let ocrbox copy. The text is selected below: press Ctrl+C (⌘C on a Mac) to copy it.</p>
      <textarea ref={area} className="viewer-manual" readOnly value={text} rows={12} aria-label="Text to copy" />
    </Modal>
  );
}
