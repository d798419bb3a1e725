/** Spinner is an accessible loading indicator. */
export function Spinner({ label = 'Loading…', size = 'md' }: { label?: string; size?: 'sm' | 'md' }) {
  return (
    <span className={`spinner spinner-${size}`} role="status" aria-live="polite">
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

/** Skeleton is a placeholder block shown while content loads. */
export function Skeleton({ width = '100%', height = '1em' }: { width?: string; height?: string }) {
  return <span className="skeleton" style={{ width, height }} aria-hidden="true" />;
}
