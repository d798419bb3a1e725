import { useEffect, useId, useImperativeHandle, useRef, useState, type DragEvent, type KeyboardEvent, type Ref } from 'react';

/** ACCEPT is what the file picker offers; the server still decides what it can read. */
export const ACCEPT = 'image/*,application/pdf,.tif,.tiff,.pdf';

/** DropZoneHandle lets the page open the file picker (its "Upload" button). */
export interface DropZoneHandle {
  openPicker(): void;
}

/**
 * DropZone takes files by drag and drop, by its "Choose files" button, or by
 * Enter/Space on the zone itself. The file input stays in the page (visually
 * hidden, named "Choose files") so that assistive tech and tests can reach it.
 */
export function DropZone({
  onFiles,
  disabled,
  hint,
  ref,
}: {
  onFiles: (files: File[]) => void;
  disabled?: boolean;
  hint?: string;
  ref?: Ref<DropZoneHandle>;
}) {
  const input = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const [over, setOver] = useState(false);
  // dragenter/dragleave fire for every child: count them to know when the pointer really left.
  const depth = useRef(0);

  const openPicker = () => {
    if (!disabled) input.current?.click();
  };
  useImperativeHandle(ref, () => ({ openPicker }));

  // A file dropped next to the zone would make the browser navigate to it
  // and leave the app: swallow such drops while the zone is on screen.
  useEffect(() => {
    const stop = (e: Event) => e.preventDefault();
    window.addEventListener('dragover', stop);
    window.addEventListener('drop', stop);
    return () => {
      window.removeEventListener('dragover', stop);
      window.removeEventListener('drop', stop);
    };
  }, []);

  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

  const onDragEnter = (e: DragEvent) => {
    if (disabled || !hasFiles(e)) return;
    e.preventDefault();
    depth.current++;
    setOver(true);
  };
  const onDragOver = (e: DragEvent) => {
    if (disabled || !hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };
  const onDragLeave = () => {
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setOver(false);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    depth.current = 0;
    setOver(false);
    if (disabled) return;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length > 0) onFiles(files);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    // Only the zone itself: Enter on the inner button must not open the picker twice.
    if (e.target !== e.currentTarget) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      openPicker();
    }
  };

  return (
    <div
      className={`dropzone${over ? ' dropzone-over' : ''}${disabled ? ' dropzone-disabled' : ''}`}
      data-testid="dropzone"
      role="group"
      // The name avoids "choose files": that is the file input's name alone.
      aria-label="Drop zone for images and PDFs"
      aria-describedby={hintId}
      aria-disabled={disabled || undefined}
      tabIndex={disabled ? -1 : 0}
      onDragEnter={onDragEnter}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
      onKeyDown={onKeyDown}
    >
      <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" />
      </svg>
      <p className="dropzone-title">{over ? 'Drop to upload' : 'Drag images or PDFs here'}</p>
      <p className="muted dropzone-hint" id={hintId}>
        {hint ?? 'PNG, JPEG, TIFF, WebP or PDF — several at once is fine.'}
      </p>
      <button type="button" className="btn" onClick={openPicker} disabled={disabled}>
        Choose files
      </button>
      <input
        ref={input}
        type="file"
        multiple
        accept={ACCEPT}
        aria-label="Choose files"
        className="visually-hidden"
        tabIndex={-1}
        disabled={disabled}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          // Clear it so that choosing the same file again still fires a change.
          e.target.value = '';
          if (files.length > 0) onFiles(files);
        }}
      />
    </div>
  );
}
