import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { taskService } from '../api/taskService';
import { useFetch } from '../api/useFetch';
import { isRunning, type Engine } from '../api/types';
import { ErrorBanner, describeError } from '../components/ErrorBanner';
import { Skeleton } from '../components/Spinner';
import { useDocumentTitle } from '../shell/documentTitle';
import { useTaskStore } from '../stores/taskStore';
import { DropZone } from './DropZone';
import { choiceFor, loadChoice, saveChoice, type UploadChoice } from './options';
import { TaskProgressList } from './TaskProgressList';
import { UploadOptions } from './UploadOptions';
import { isFinishedRow, useUploadStore } from './uploadStore';
import './upload.css';

type EnginesState = { state: 'loading' } | { state: 'ready'; engines: Engine[] } | { state: 'error'; error: unknown };

/** useEngines loads GET /engines, with a reload for the Retry button. */
function useEngines(): [EnginesState, () => void] {
  const { data, error, loading, reload } = useFetch('engines', () => taskService.engines());
  const s = useMemo<EnginesState>(() => {
    if (loading) return { state: 'loading' };
    if (error !== undefined) return { state: 'error', error };
    return { state: 'ready', engines: data ?? [] };
  }, [data, error, loading]);
  return [s, reload];
}

/**
 * UploadPage is the home screen: choose how to read the files, drop or pick
 * them, and follow each one live from upload to downloadable results. Tasks
 * still running from an earlier visit are listed too.
 */
export function UploadPage() {
  useDocumentTitle('Upload');
  const [engines, reloadEngines] = useEngines();
  const [choice, setChoice] = useState<UploadChoice>();
  // Once the engines are known, settle the choice: the remembered one where
  // it still fits. (Adjusted during render, so no frame lacks it.)
  const [settledFor, setSettledFor] = useState<Engine[]>();
  if (engines.state === 'ready' && settledFor !== engines.engines) {
    setSettledFor(engines.engines);
    setChoice((c) => choiceFor(engines.engines, c ?? loadChoice()));
  }
  const rows = useUploadStore((s) => s.rows);
  const byId = useTaskStore((s) => s.byId);
  const [runningError, setRunningError] = useState<unknown>();

  const changeChoice = (c: UploadChoice) => {
    setChoice(c);
    saveChoice(c);
  };

  // Tasks still running from before (a reload) join the list.
  useEffect(() => {
    useTaskStore.getState().loadRunning().catch(setRunningError);
  }, []);
  const retryRunning = () => {
    setRunningError(undefined);
    useTaskStore.getState().loadRunning().catch(setRunningError);
  };

  // Every running task the app hears of (from that load, the event stream
  // or another tab's upload) joins the list; the stream keeps each row
  // current (stores/taskEvents.ts).
  useEffect(() => {
    const running = Object.values(byId).filter((t) => isRunning(t.status));
    if (running.length) useUploadStore.getState().showTasks(running);
  }, [byId]);

  const ready = engines.state === 'ready' && choice !== undefined;
  const addFiles = (files: File[]) => {
    if (!choice) return;
    useUploadStore.getState().add(files, {
      engine: choice.engine,
      lang: choice.lang,
      outputs: choice.outputs,
      autorotate: choice.autorotate,
      pdf_text: choice.pdfText,
      pdf_output: choice.pdfOutput,
    });
  };
  const finished = rows.filter((r) => isFinishedRow(r, byId)).length;
  const noEngines = engines.state === 'ready' && engines.engines.length === 0;

  return (
    <main id="main" className="page upload-page">
      <h1>Upload</h1>
      <p className="muted upload-intro">Scans, photos and PDFs in — searchable text, hOCR, JSON and PDFs out.</p>

      <section className="card upload-panel" aria-label="New upload">
        {engines.state === 'loading' && (
          <div className="upload-options" aria-busy="true" aria-label="Loading upload options">
            <Skeleton height="3.6rem" />
            <Skeleton height="3.6rem" />
            <Skeleton height="3.6rem" />
          </div>
        )}
        {engines.state === 'error' && (
          <ErrorBanner title="Could not load the OCR engines." error={engines.error} onRetry={reloadEngines} />
        )}
        {noEngines && (
          <div className="banner banner-warn" role="alert">
            No OCR engine is available on this server, so nothing can be read yet. Ask your administrator to install one.
          </div>
        )}
        {engines.state === 'ready' && choice && (
          // No separate "Upload" button: "Choose files" (or a drop) is the one way to start.
          <div className="upload-form">
            <UploadOptions engines={engines.engines} choice={choice} onChange={changeChoice} />
          </div>
        )}
        <DropZone
          onFiles={addFiles}
          disabled={!ready}
          hint={
            ready
              ? undefined
              : engines.state === 'loading'
                ? 'Loading the options…'
                : noEngines
                  ? 'Uploading needs an OCR engine.'
                  : 'Uploads start once the options have loaded.'
          }
        />
      </section>

      <section className="upload-results" aria-labelledby="upload-results-title">
        <div className="row upload-results-head">
          <h2 id="upload-results-title">Your uploads</h2>
          <span className="spacer" />
          {rows.length > 0 && (
            <button type="button" className="btn btn-small" disabled={finished === 0} onClick={() => useUploadStore.getState().clearFinished()}>
              Clear finished
            </button>
          )}
        </div>
        {runningError !== undefined && (
          <div className="banner banner-warn" role="alert">
            <span>Could not check for tasks still running: {describeError(runningError)}</span>
            <button type="button" className="btn btn-small" onClick={retryRunning}>
              Try again
            </button>
          </div>
        )}
        {rows.length === 0 ? (
          <div className="upload-empty card">
            <p>
              <strong>Nothing uploaded yet.</strong>
            </p>
            <p className="muted">
              Each file becomes a task: ocrbox reads it page by page and shows the progress here. When it is done you can
              download the outputs you chose — plain text, hOCR, JSON or a searchable PDF. Everything you uploaded stays in
              your <Link to="/history">task history</Link>.
            </p>
          </div>
        ) : (
          <TaskProgressList rows={rows} />
        )}
      </section>
    </main>
  );
}
