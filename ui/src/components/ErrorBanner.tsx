import { ApiError } from '../api/client';

/** describeError turns any thrown value into one sentence for people. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.isNetwork) return e.message;
    if (e.status >= 500 && e.code.startsWith('http_')) return `The server had a problem (HTTP ${e.status}). Try again in a moment.`;
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}

/** ErrorBanner shows a failure with an optional retry button. */
export function ErrorBanner({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <div className="banner banner-error" role="alert">
      <div>
        {title && <strong>{title} </strong>}
        <span>{describeError(error)}</span>
        {requestId && <small className="muted"> (request {requestId})</small>}
      </div>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
