import { useState } from 'react';
import { taskService, type ExportFormat } from '../api/taskService';
import type { HistoryQuery } from '../api/types';
import { describeError } from '../components/ErrorBanner';
import { Spinner } from '../components/Spinner';
import { withLocalDays } from './localDays';

/** saveBlob hands a downloaded blob to the browser as a file named filename. */
export function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoking in the same task can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}

/** ExportButtons downloads the tasks matching the current filters as CSV or JSON. */
export function ExportButtons({ query, disabled }: { query: HistoryQuery; disabled?: boolean }) {
  const [busy, setBusy] = useState<ExportFormat>();
  const [error, setError] = useState<unknown>();

  const run = async (format: ExportFormat) => {
    setBusy(format);
    setError(undefined);
    try {
      const { blob, filename } = await taskService.export(format, withLocalDays(query));
      saveBlob(blob, filename);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <div className="history-export">
      <div className="row">
        {(['csv', 'json'] as const).map((f) => (
          <button
            key={f}
            type="button"
            className="btn btn-small"
            disabled={disabled || busy !== undefined}
            aria-busy={busy === f || undefined}
            onClick={() => void run(f)}
          >
            {`Export ${f.toUpperCase()}`}
          </button>
        ))}
        {busy && <Spinner size="sm" label={`Preparing the ${busy.toUpperCase()} export…`} />}
      </div>
      {error !== undefined && (
        <p className="history-error" role="alert">
          Export failed: {describeError(error)}
        </p>
      )}
    </div>
  );
}
